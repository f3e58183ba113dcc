import ArgumentParser
import FeePayCore
import FeePayServer
import FeePayStore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// `feepay reconcile`: the same import and reconciliation as `POST /v1/settlements`.
struct Reconcile: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Import a bank's settlement statement (CSV or camt.053/054) and reconcile it.")

  @Option(help: "Connector code.") var connector: String
  @Option(help: "Business date YYYY-MM-DD (Asia/Ho_Chi_Minh).") var date: String
  @Option(help: "csv or camt (default: from the file name).") var format: String?
  @Argument(help: "The statement file.") var file: String

  func run() async throws {
    let runtime = Runtime(logger: commandLogger())
    try await reportingErrors { try await reconcile(runtime) }
  }

  func reconcile(_ runtime: Runtime) async throws {
    guard let day = BusinessDate(date) else { throw FeePayError(.validationFailed, "--date must be YYYY-MM-DD") }
    let url = URL(fileURLWithPath: file)
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
      let size = (attributes[.size] as? NSNumber)?.int64Value
    else { throw FeePayError(.validationFailed, "cannot read \(file)") }
    let kind: StatementImporter.Format
    switch format ?? (url.pathExtension.lowercased() == "xml" ? "camt" : "csv") {
    case "csv": kind = .csv
    case "camt": kind = .camt
    default: throw FeePayError(.validationFailed, "--format must be csv or camt")
    }
    let terminal = isatty(STDERR_FILENO) == 1
    let progress: (@Sendable (Int64) -> Void)? = terminal ? { @Sendable read in showProgress(read, of: size) } : nil
    let parsed: (@Sendable (Int) -> Void)? =
      terminal ? { @Sendable lines in note("\r\u{1B}[Kreconciling \(lines) lines…") } : nil
    let summary = try await runtime.withDatabase { database in
      let store = SettlementStore(
        database: database, ids: IDGenerator(clock: runtime.clock), presenter: InvoicePresenter(publicBaseURL: ""))
      do {
        return try await store.importStatement(
          url, format: kind, connector: connector, businessDate: day, sha256: try StatementImporter.sha256(of: url),
          spool: runtime.spool, uploader: SettlementStore.Uploader(actor: operatorActor, isPerson: true),
          now: runtime.clock.now,
          progress: progress, parsed: parsed)
      } catch let error as StatementError {
        throw FeePayError(.statementInvalid, error.description)
      }
    }
    print("settlement \(summary.id): \(summary.lineCount) lines, \(summary.totalAmount) VND in credits")
    for category in SettlementStore.categories {
      guard let bucket = summary.summary[category], bucket.count > 0 else { continue }
      print("  \(category.padding(toLength: 18, withPad: " ", startingAt: 0)) \(bucket.count)\t\(bucket.amount)")
    }
  }
}

/// A progress bar of the bytes read, on standard error.
func showProgress(_ read: Int64, of size: Int64) {
  let fraction = size > 0 ? Double(read) / Double(size) : 1
  let width = 30
  let filled = Int(fraction * Double(width))
  let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
  FileHandle.standardError.write(Data("\r\(bar) \(Int(fraction * 100))% read".utf8))
}

struct SetCSVMapping: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "set-csv-mapping",
    abstract: "Declare how a connector's bank CSV maps onto statement lines.",
    discussion: """
      JSON with bank_txn_id, amount and paid_at (column names), optionally payment_code, memo, currency,
      payer_account, date_format (rfc3339, yyyy-MM-dd, dd/MM/yyyy, dd/MM/yyyy HH:mm:ss, yyyy-MM-dd HH:mm:ss),
      amount_scale and delimiter. Example:
      {"bank_txn_id":"So GD","amount":"So tien","paid_at":"Ngay GD","memo":"Noi dung","date_format":"dd/MM/yyyy HH:mm:ss"}
      """)

  @Option(help: "Connector code.") var code: String
  @Option(help: "The mapping, as JSON.") var mapping: String

  func run() async throws {
    let runtime = Runtime(logger: commandLogger())
    try await reportingErrors {
      guard let parsed = try? JSONDecoder().decode(CSVMapping.self, from: Data(mapping.utf8)) else {
        throw FeePayError(.validationFailed, "--mapping must be JSON with bank_txn_id, amount and paid_at")
      }
      try await runtime.withDatabase { database in
        try await SettlementStore(
          database: database, ids: IDGenerator(clock: runtime.clock), presenter: InvoicePresenter(publicBaseURL: "")
        ).setCSVMapping(connector: code, mapping: parsed, actor: operatorActor, now: runtime.clock.now)
      }
      print("connector \(code): CSV mapping saved")
    }
  }
}
