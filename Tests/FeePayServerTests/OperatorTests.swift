import FeePayCore
import FeePayStore
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing

/// The operator's commands against a running `feepay serve`, each checked by its effect,
/// and the service's graceful stop on SIGTERM.
@Suite(.serialized, .timeLimit(.minutes(5))) struct OperatorTests {
  func feepay(_ served: ServedFeePay, _ arguments: [String]) throws -> CommandLineTests.Run {
    try CommandLineTests.run(
      arguments, environment: ["DATABASE_URL": served.databaseURL, "FEEPAY_MASTER_KEY": served.masterKey])
  }

  @Test func operatorCommandsChangeWhatTheySay() async throws {
    try await withServedFeePay { world, served, _ in
      // healthcheck: exit 0 against a ready service, non-zero where nothing listens.
      let healthy = try feepay(served, ["healthcheck", "--url", "\(served.baseURL)/health/ready"])
      #expect(healthy.status == 0, "\(healthy.stderr)")
      let nobody = try feepay(
        served, ["healthcheck", "--url", "http://127.0.0.1:\(try freeLoopbackPort())/health/ready"])
      #expect(nobody.status != 0)

      // bank simulate: a signed callback the service accepts, and the payment it records.
      let bank = try await TestBank.hmac(world)
      let invoice = try await served.invoice(world)
      let simulated = try feepay(
        served,
        ["bank", "simulate", "--connector", bank.code, "--payment-code", invoice.code, "--url", served.baseURL])
      #expect(simulated.status == 0, "\(simulated.stderr)")
      #expect(simulated.stdout.contains("\"accepted\""), "\(simulated.stdout)")
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(invoice.id)") == 1)

      // set-auto-recovery and set-csv-mapping are stored (and bad values refused).
      #expect(try feepay(served, ["connector", "set-auto-recovery", "--code", bank.code, "off"]).status == 0)
      #expect(try await world.scalar("SELECT auto_recovery::int FROM connectors WHERE code = \(bank.code)") == 0)
      #expect(try feepay(served, ["connector", "set-auto-recovery", "--code", bank.code, "maybe"]).status != 0)
      #expect(try await world.scalar("SELECT auto_recovery::int FROM connectors WHERE code = \(bank.code)") == 0)
      let mapping =
        #"{"bank_txn_id":"So GD","amount":"So tien","paid_at":"Ngay GD","memo":"Noi dung","date_format":"dd/MM/yyyy HH:mm:ss","delimiter":";"}"#
      let mapped = try feepay(served, ["connector", "set-csv-mapping", "--code", bank.code, "--mapping", mapping])
      #expect(mapped.status == 0, "\(mapped.stderr)")
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM connectors WHERE code = \(bank.code) AND csv_mapping->>'amount' = 'So tien'") == 1)
      #expect(
        try feepay(served, ["connector", "set-csv-mapping", "--code", bank.code, "--mapping", "{\"amount\":"]).status
          != 0)

      // agency set-series: the series of a coming year.
      let series = try feepay(
        served, ["agency", "set-series", "--code", world.agency, "--year", "2027", "--series", "27T"])
      #expect(series.status == 0, "\(series.stderr)")
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM receipt_series WHERE agency_code = \(world.agency) AND year = 2027 AND series = '27T' AND template_symbol = 'EBL01'"
        ) == 1)

      // signing-key rotate: one more key in the JWKS the running service publishes.
      func keys() async throws -> Int {
        try await served.send(.GET, "/.well-known/jwks.json").json["keys"]?.arrayValue?.count ?? -1
      }
      // The receipt issuer makes the first key when it first needs one (it may be at work
      // right now): with one key made first, it never makes another, and the count is exact.
      #expect(try feepay(served, ["signing-key", "rotate"]).status == 0)
      let before = try await keys()
      #expect(try feepay(served, ["signing-key", "rotate"]).status == 0)
      #expect(try await keys() == before + 1)
    }
  }

  /// Every request is one JSON line on standard output with its request id, method, path,
  /// status and duration.
  @Test func requestsAreLoggedAsJSONLines() async throws {
    try await withServedFeePay(environment: ["LOG_LEVEL": "info"]) { world, served, _ in
      let id = "log-\(UUID().uuidString.prefix(8))"
      let r = try await served.send(.GET, "/v1/invoices?limit=1", key: world.portalKey, headers: ["X-Request-Id": id])
      #expect(r.code == 200)
      var line: JSONValue?
      let deadline = ContinuousClock.now + .seconds(10)
      while line == nil, ContinuousClock.now < deadline {
        line = served.log.split(separator: "\n").compactMap { try? JSONValue.parse(Array($0.utf8)) }.first {
          $0["request_id"]?.stringValue == id
        }
        if line == nil { try await Task.sleep(for: .milliseconds(50)) }
      }
      #expect(line?["msg"] == "request")
      #expect(line?["method"] == "GET")
      #expect(line?["path"] == "/v1/invoices")
      #expect(line?["status"]?.stringValue == "200" || line?["status"] == 200)
      #expect(line?["duration_ms"] != nil)
      #expect(line?["ts"]?.stringValue.flatMap(Timestamp.parse) != nil)
      #expect(!served.log.contains(world.portalKey))
    }
  }

  /// SIGTERM: the request in flight finishes (201, its invoice committed), then the process
  /// exits 0 and the port is closed.
  @Test func sigtermLetsTheRequestInFlightFinish() async throws {
    try await withServedFeePay { world, served, _ in
      try await FaultTests.slowInserts(world.database, table: "invoices", column: "dossier_code")
      // A second process that can receive SIGTERM (see ServedFeePay.start).
      let graceful = try await served.another(receivesSignals: true)
      let dossier = "SLOW-\(UUID().uuidString.prefix(8))"
      let inFlight = Task {
        try await graceful.createInvoice(world.invoiceBody(dossier: dossier), key: world.portalKey)
      }
      try await waitUntil("the request is inside its transaction") { try await FaultTests.sleeping(world) == 1 }
      kill(graceful.process.processIdentifier, SIGTERM)
      let reply = try await inFlight.value
      #expect(reply.code == 201, "\(reply.json)")
      #expect(try await world.scalar("SELECT count(*)::int FROM invoices WHERE dossier_code = \(dossier)") == 1)
      try await waitUntil("the process has exited") { !graceful.process.isRunning }
      #expect(graceful.process.terminationStatus == 0)
      #expect((try? await graceful.send(.GET, "/health/live")) == nil, "still listening after SIGTERM")
      await graceful.stop()
    }
  }
}
