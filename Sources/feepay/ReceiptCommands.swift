import ArgumentParser
import FeePayCore
import FeePayStore
import Foundation

struct SigningKeyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "signing-key", abstract: "Keys that sign receipts.", subcommands: [Rotate.self])

  struct Rotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a new Ed25519 receipt-signing key; old keys stay published so old receipts verify.")

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let secrets = try runtime.secrets()
        let kid = try await runtime.withDatabase { database in
          try await ReceiptStore(
            database: database, secrets: secrets, ids: IDGenerator(clock: runtime.clock), publicBaseURL: ""
          ).rotateKey(actor: operatorActor, now: runtime.clock.now)
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
        try await ReceiptStore(
          database: database, secrets: secrets, ids: IDGenerator(clock: runtime.clock), publicBaseURL: ""
        ).setSeries(
          agency: code, year: year, template: template, series: series, actor: operatorActor, now: runtime.clock.now)
      }
      print("agency \(code) uses series \(series) (template \(template)) in \(year)")
    }
  }
}
