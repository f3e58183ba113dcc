import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// Collects every log line (message and metadata) in memory.
final class LogCollector: Sendable {
  let lines = Mutex<[String]>([])

  struct Handler: LogHandler {
    let collector: LogCollector
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
      let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
      collector.lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
    }
  }

  var logger: Logger { Logger(label: "collected") { _ in Handler(collector: self) } }
}

@Suite(.timeLimit(.minutes(5))) struct LoggingTests {
  /// Keys, webhook secrets and connector secrets never reach a log line, at any level —
  /// also not when a callback is refused.
  @Test func secretsNeverReachTheLogs() async throws {
    let collector = LogCollector()
    let configuration = try await TestEnvironment.shared.sharedDatabase()
    let clock = ManualClock(Date())
    let database = Database(configuration: configuration, poolSize: 2, logger: collector.logger)
    let secrets = try SecretBox(base64: SecretBox.generateMasterKey())
    var appConfiguration = AppConfiguration()
    appConfiguration.maintenanceInterval = nil
    appConfiguration.migrateOnStart = false
    appConfiguration.webhooks = nil
    appConfiguration.receiptInterval = nil
    let app = buildApplication(
      configuration: appConfiguration, database: database,
      migrator: try Migrator(directory: TestEnvironment.migrationsDirectory), secrets: secrets, clock: clock,
      logger: collector.logger)
    let sensitiveBox = Mutex<[String]>([])
    try await app.test(.router) { client in
      let world = try await TestWorld.seed(database: database, clock: clock, secrets: secrets)
      let bank = try await TestBank.hmac(world)
      sensitiveBox.withLock { $0 = [world.portalKey, world.accountantKey, bank.secret] }
      let (_, code, total) = try await world.invoice(client)
      let body = TestBank.body(paymentCode: code, amount: total, txn: "LOG.1", paidAt: clock.now)
      let forged = bank.headers(for: body, signature: "v1,AAAA")
      #expect(
        try await client.send(.post, "/v1/callbacks/\(bank.code)", raw: body, headers: forged).status == .unauthorized)
      #expect(try await bank.pay(client, paymentCode: code, amount: total, txn: "LOG.2").json["status"] == "accepted")
      #expect(try await client.send(.get, "/v1/invoices", key: NewAPIKey.generate().secret).status == .unauthorized)
    }
    let lines = collector.lines.withLock { $0 }
    let sensitive = sensitiveBox.withLock { $0 }
    #expect(sensitive.count == 3)
    #expect(lines.contains { $0.contains("callback refused") })
    for line in lines {
      for secret in sensitive {
        #expect(!line.contains(secret), "a log line carries a secret: \(line.prefix(200))")
        #expect(!line.contains(String(secret.dropFirst(6).prefix(20))), "a log line carries part of a secret")
      }
      #expect(!line.contains("whsec_"))
    }
  }
}
