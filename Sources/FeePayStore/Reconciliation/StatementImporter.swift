import Crypto
import Dispatch
public import FeePayCore
public import Foundation

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Turns a statement file into a ``SettlementStore/Parsed``: reads it once, streaming
/// (a 1,000,000-line file never sits whole in memory), checks every line, and writes the
/// lines in COPY format to a temporary file. A file with any problem is refused whole with a
/// ``StatementError`` naming the line (or XML element path) and the reason, before the
/// database is touched. Used by ``SettlementStore/importStatement(_:format:connector:businessDate:sha256:spool:uploader:now:progress:parsed:)``.
public enum StatementImporter {
  public enum Format: String, Sendable {
    case csv
    case camt
  }

  public static func sha256(of file: URL) throws -> String {
    let handle = try FileHandle(forReadingFrom: file)
    defer { try? handle.close() }
    var hasher = SHA256()
    while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { hasher.update(data: data) }
    return hasher.finalize().lowercaseHex
  }

  /// Parses `file` (already on disk) and answers what to load. `progress` is called with
  /// the bytes read so far.
  public static func parse(
    file: URL, format: Format, mapping: CSVMapping?, settlementID: String, connector: String,
    businessDate: BusinessDate,
    sha256: String, spool: Spool, progress: ((Int64) -> Void)? = nil
  ) throws -> SettlementStore.Parsed {
    let writer = try spool.create("copy")
    let out = writer.url
    var pending = Data()
    var count = 0
    var total: Int64 = 0
    var formatName = "csv"
    func emit(_ line: StatementLine) throws {
      count += 1
      if line.isCredit && !line.isReversal && line.currency == Currency.vnd.rawValue {
        let (sum, overflow) = total.addingReportingOverflow(line.amount)
        guard !overflow else {
          throw StatementError(location: "line \(line.lineNo)", reason: "the file's total overflows")
        }
        total = sum
      }
      pending.append(contentsOf: line.copyRow(settlementID: settlementID).utf8)
      if pending.count >= 256 * 1024 {
        try writer.write(pending)
        pending.removeAll(keepingCapacity: true)
      }
    }
    do {
      defer { try? writer.close() }
      switch format {
      case .csv:
        let mapping = mapping ?? .feepay
        var reader = CSVReader(delimiter: mapping.delimiter.utf8.first ?? UInt8(ascii: ","))
        var statement = CSVStatement(mapping: mapping)
        var sawHeader = false
        func handle(_ record: CSVReader.Record) throws {
          if !sawHeader {
            try statement.header(record)
            sawHeader = true
          } else {
            try emit(try statement.line(record))
          }
        }
        let input = try FileHandle(forReadingFrom: file)
        defer { try? input.close() }
        var read: Int64 = 0
        while let data = try input.read(upToCount: 1 << 20), !data.isEmpty {
          read += Int64(data.count)
          try reader.feed(data, emit: handle)
          progress?(read)
        }
        try reader.finish(emit: handle)
        guard sawHeader else { throw StatementError(location: "line 1", reason: "the file is empty") }
      case .camt:
        let head = try FileHandle(forReadingFrom: file)
        let prolog = try head.read(upToCount: CamtStatement.prologLimit) ?? Data()
        try? head.close()
        try CamtStatement.checkProlog(prolog)
        guard let stream = InputStream(url: file) else {
          throw StatementError(location: "/", reason: "cannot read the file")
        }
        let camt = CamtStatement(emit: { line in try emit(line) })
        try camt.parse(stream)
        formatName = camt.kind ?? "camt"
      }
      try writer.write(pending)
      try writer.close()
    } catch let error as CSVReader.Failure {
      writer.remove()
      throw StatementError(location: "line \(error.line)", reason: error.reason)
    } catch {
      writer.remove()
      throw error
    }
    return SettlementStore.Parsed(
      id: settlementID, connector: connector, businessDate: businessDate, format: formatName, sha256: sha256,
      copyFile: out,
      lineCount: count, creditTotal: total)
  }
}

extension SettlementStore {
  /// The one import workflow, for `POST /v1/settlements` and `feepay reconcile` alike: refuses
  /// a file already imported for the connector and day, reads it with the connector's CSV
  /// mapping (off the concurrency runtime's threads), then loads and reconciles it in one
  /// transaction. `progress` hears the bytes read; `parsed` the number of lines, before the
  /// load. Throws ``StatementError`` for a file that cannot be read.
  public func importStatement(
    _ file: URL, format: StatementImporter.Format, connector: String, businessDate: BusinessDate, sha256: String,
    spool: Spool, uploader: Uploader, now: Date, progress: (@Sendable (Int64) -> Void)? = nil,
    parsed: (@Sendable (Int) -> Void)? = nil
  ) async throws -> Summary {
    if try await alreadyImported(connector: connector, businessDate: businessDate, sha256: sha256) {
      throw FeePayError(
        .statementAlreadyImported, "This statement was already imported for \(connector) on \(businessDate).")
    }
    let mapping = try await csvMapping(connector: connector)
    let id = ids.make(.settlement)
    let statement = try await withCheckedThrowingContinuation { continuation in
      DispatchQueue.global().async {
        continuation.resume(
          with: Result {
            try StatementImporter.parse(
              file: file, format: format, mapping: mapping, settlementID: id, connector: connector,
              businessDate: businessDate, sha256: sha256, spool: spool, progress: progress)
          })
      }
    }
    defer { try? FileManager.default.removeItem(at: statement.copyFile) }
    parsed?(statement.lineCount)
    return try await reconcile(statement, uploader: uploader, now: now)
  }
}
