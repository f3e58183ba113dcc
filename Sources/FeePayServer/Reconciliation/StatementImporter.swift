import Crypto
public import FeePayCore
public import FeePayStore
public import Foundation

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Turns a statement file into a ``SettlementStore/Parsed``: reads it once, streaming
/// (a 1,000,000-line file never sits whole in memory), checks every line, and writes the
/// lines in COPY format to a temporary file. A file with any problem is refused whole,
/// naming the line (or XML element path) and the reason, before the database is touched.
public enum StatementImporter {
  public enum Format: String, Sendable {
    case csv
    case camt
  }

  /// The format for a `Content-Type`, or `nil` if FeePay does not read it.
  public static func format(contentType: String?) -> Format? {
    let media =
      contentType?.lowercased().split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    switch media {
    case "text/csv", "application/csv": return .csv
    case "application/xml", "text/xml": return .camt
    default: return nil
    }
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
    sha256: String, progress: ((Int64) -> Void)? = nil
  ) throws -> SettlementStore.Parsed {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("feepay-copy-\(UUID().uuidString).tsv")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    let writer = try FileHandle(forWritingTo: out)
    var pending = Data()
    var count = 0
    var total: Int64 = 0
    var formatName = "csv"
    func emit(_ line: StatementLine) throws {
      count += 1
      if line.isCredit && !line.isReversal && line.currency == "VND" {
        let (sum, overflow) = total.addingReportingOverflow(line.amount)
        guard !overflow else {
          throw StatementError(location: "line \(line.lineNo)", reason: "the file's total overflows")
        }
        total = sum
      }
      pending.append(contentsOf: line.copyRow(settlementID: settlementID).utf8)
      if pending.count >= 256 * 1024 {
        writer.write(pending)
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
        guard let stream = InputStream(url: file) else {
          throw StatementError(location: "/", reason: "cannot read the file")
        }
        let camt = CamtStatement(emit: { line in try emit(line) })
        try camt.parse(stream)
        formatName = camt.kind ?? "camt"
      }
      writer.write(pending)
    } catch let error as CSVReader.Failure {
      try? FileManager.default.removeItem(at: out)
      throw FeePayError(
        .statementInvalid, "line \(error.line): \(error.reason)",
        errors: [FieldError(parameter: "body", "line \(error.line): \(error.reason)")])
    } catch let error as StatementError {
      try? FileManager.default.removeItem(at: out)
      throw FeePayError(
        .statementInvalid, error.description, errors: [FieldError(parameter: "body", error.description)])
    }
    return SettlementStore.Parsed(
      id: settlementID, connector: connector, businessDate: businessDate, format: formatName, sha256: sha256,
      copyFile: out,
      lineCount: count, creditTotal: total)
  }
}
