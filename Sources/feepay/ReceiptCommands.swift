import ArgumentParser
import FeePayCore
import FeePayStore
import Foundation

struct SigningKeyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "signing-key", abstract: "Keys that sign receipts.", subcommands: [Rotate.self, Revoke.self])

  struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Revoke a receipt-signing key whose private half may have leaked: it signs nothing more and its receipts report revoked_key."
    )

    @Argument(help: "The key's kid (see /.well-known/jwks.json).") var kid: String
    @Option(help: "Why (kept in the audit log).") var reason: String

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let secrets = try runtime.secrets()
        try await runtime.withDatabase { database in
          try await runtime.receipts(database, secrets).revokeKey(
            kid, reason: reason, actor: operatorActor, now: runtime.clock.now)
        }
        print("signing key \(kid) revoked; its receipts now report revoked_key, new ones are signed with another key")
      }
    }
  }

  struct Rotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a new Ed25519 receipt-signing key; old keys stay published so old receipts verify.")

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let secrets = try runtime.secrets()
        let kid = try await runtime.withDatabase { database in
          try await runtime.receipts(database, secrets).rotateKey(actor: operatorActor, now: runtime.clock.now)
        }
        print("signing key \(kid) created; new receipts are signed with it")
      }
    }
  }
}

struct SetSeries: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "set-series", abstract: "Set the receipt series an agency uses in a given year (ahead of time).")

  @Option(help: "Agency code.") var code: String
  @Option(help: "The year, e.g. 2027.") var year: Int
  @Option(help: "The series for that year, e.g. 27T.") var series: String
  @Option(help: "Template symbol (ký hiệu mẫu): EBL01 or EBL02.") var template = "EBL01"

  func run() async throws {
    let runtime = Runtime(logger: commandLogger())
    try await reportingErrors {
      let secrets = try runtime.secrets()
      try await runtime.withDatabase { database in
        try await runtime.receipts(database, secrets).setSeries(
          agency: code, year: year, template: template, series: series, actor: operatorActor, now: runtime.clock.now)
      }
      print("agency \(code) uses series \(series) (template \(template)) in \(year)")
    }
  }
}
