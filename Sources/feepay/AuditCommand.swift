import ArgumentParser
import FeePayCore
import FeePayStore
import Foundation

struct AuditCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit", abstract: "The audit log's hash chain.", subcommands: [Verify.self])

  struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Walk the audit log's hash chain; exit 0 if it is whole, 1 naming the first entry changed, deleted or slipped in."
    )

    @Option(help: "Start at the first entry on or after this day (YYYY-MM-DD, Vietnam time), trusting the link before.")
    var from: String?

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      var broken = false
      try await reportingErrors {
        var start: Date?
        if let from {
          guard let day = BusinessDate(from) else { throw FeePayError(.validationFailed, "--from must be YYYY-MM-DD") }
          start = day.start
        }
        let secrets = try runtime.secrets()
        let (checked, firstBreak) = try await runtime.withDatabase { database in
          try await AuditChainStore(
            database: database,
            receipts: runtime.receipts(database, secrets)
          ).verify(from: start)
        }
        if let firstBreak {
          note("audit chain broken after \(checked) good links: \(firstBreak)")
          broken = true
        } else {
          print("audit chain intact: \(checked) links checked")
        }
      }
      if broken { throw ExitCode(1) }
    }
  }
}
