import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The value of one sample in Prometheus text (`name{labels} value`), or nil.
func metricValue(_ text: String, _ sample: String) -> Double? {
  for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
    return Double(line.dropFirst(sample.count + 1).split(separator: " ")[0])
  }
  return nil
}

/// A portal's endpoint on loopback that verifies each delivery with the Python reference
/// library (`scripts/webhook_receiver.py`).
final class Receiver: Sendable {
  let port: Int
  let process: Process

  init(port fixed: Int? = nil) async throws {
    port = try fixed ?? freeLoopbackPort()
    process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", TestEnvironment.packageRoot.appendingPathComponent("scripts/webhook_receiver.py").path, "\(port)",
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    for _ in 0..<300 {
      if (try? await received()) != nil { return }
      try await Task.sleep(for: .milliseconds(100))
    }
    throw FeePayError(.unavailable, "the webhook receiver did not start")
  }

  var url: String { "http://127.0.0.1:\(port)/hook" }

  /// SIGKILL: a process spawned from the test runner inherits its blocked signal mask, so
  /// SIGTERM would never arrive.
  func stop() {
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  struct Delivery: Decodable, Sendable {
    var id: String?
    var valid: Bool
    var type: String?
    var signatures: Int
  }

  func received() async throws -> [Delivery] {
    let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/_received")!)
    return try JSONDecoder().decode([Delivery].self, from: data)
  }

  func control(_ settings: [String: JSONValue]) async throws {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/_control")!)
    request.httpMethod = "POST"
    request.httpBody = Data(JSONValue.object(settings).jsonText.utf8)
    _ = try await URLSession.shared.data(for: request)
  }
}

@Suite(.enabled(if: ReferenceClientTests.available), .serialized, .timeLimit(.minutes(5))) struct WebhookTests {
  /// A portal whose webhook URL is `url`, a key for it, and its secret.
  func portal(_ world: TestWorld, url: String) async throws -> (code: String, key: String, secret: String) {
    let code = "w-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    let store = ProvisioningStore(database: world.database, ids: IDGenerator(clock: world.clock))
    let secret = try await store.addPortal(
      code: code, name: "Webhook portal", agencies: [world.agency], webhookURL: url, allowPrivateWebhooks: true,
      secrets: world.secrets,
      actor: "test", at: world.clock.now)
    let key = try await store.createKey(role: .portal, portalCode: code, label: nil, actor: "test", at: world.clock.now)
    return (code, key.secret, secret)
  }

  func dispatcher(_ world: TestWorld, timeout: Duration = .seconds(2), allowPrivate: Bool = true) -> WebhookDispatcher {
    var settings = WebhookSettings()
    settings.timeout = timeout
    settings.schedule = RetrySchedule(delays: [5, 60, 600])
    settings.allowPrivate = allowPrivate
    return WebhookDispatcher(
      store: WebhookStore(database: world.database, secrets: world.secrets), clock: world.clock, settings: settings,
      metrics: AppMetrics(), logger: TestEnvironment.logger)
  }

  /// Creates and cancels an invoice of `portal`, which writes an `invoice.cancelled` event.
  func makeEvent(_ world: TestWorld, _ client: any TestClientProtocol, key: String) async throws -> String {
    let r = try await client.createInvoice(world.invoiceBody(), key: key)
    let id = try #require(r.json["id"]?.stringValue)
    _ = try await client.send(.post, "/v1/invoices/\(id)/cancel", key: key)
    let rows = try await world.database.query("SELECT id FROM events WHERE subject_id = \(id)")
    return try rows[0].decode(String.self)
  }

  /// Makes a waiting delivery due now. (The tests move the schedule rather than the clock:
  /// the receiver checks `webhook-timestamp` against the real time, as a portal would.)
  func makeDue(_ world: TestWorld, _ event: String) async throws {
    try await world.database.query(
      "UPDATE webhook_deliveries SET next_attempt_at = \(world.clock.now) WHERE event_id = \(event)")
  }

  func status(_ world: TestWorld, _ event: String) async throws -> (String, Int, Date) {
    let rows = try await world.database.query(
      "SELECT status, attempts, next_attempt_at FROM webhook_deliveries WHERE event_id = \(event)")
    return try rows[0].decode((String, Int, Date).self)
  }

  @Test func deliveredSignedAndVerifiedByTheReferenceLibrary() async throws {
    let receiver = try await Receiver()
    defer { receiver.stop() }
    try await withFeePay(isolated: true) { world, client in
      let portal = try await portal(world, url: receiver.url)
      try await receiver.control(["secrets": [.string(portal.secret)]])
      let event = try await makeEvent(world, client, key: portal.key)
      #expect(try await dispatcher(world).runOnce() == 1)
      let got = try await receiver.received()
      #expect(got.count == 1)
      #expect(got.first?.id == event)
      #expect(got.first?.valid == true)
      #expect(got.first?.type == "invoice.cancelled")
      #expect(try await status(world, event).0 == "delivered")
      #expect(try await dispatcher(world).runOnce() == 0)

      // The same object through the events API, in commit order with a stable cursor.
      // Events show once every older transaction in the cluster has finished (other tests
      // run alongside), so poll briefly as a portal would.
      var page = try await client.send(.get, "/v1/events?limit=10", key: portal.key)
      for _ in 0..<100 where page.json["data"]?.arrayValue?.isEmpty != false {
        try await Task.sleep(for: .milliseconds(100))
        page = try await client.send(.get, "/v1/events?limit=10", key: portal.key)
      }
      #expect(page.json["data"]?[0]?["id"]?.stringValue == event)
      #expect(page.json["data"]?[0]?["type"] == "invoice.cancelled")
      #expect(page.json["data"]?[0]?["data"]?["status"] == "cancelled")
      // Byte for byte: the events page and the webhook body carry the same `data` bytes (the
      // one writer's compact, sorted form, which writing the parsed object again reproduces).
      let data = String(decoding: try #require(page.json["data"]?[0]?["data"]).jsonBytes, as: UTF8.self)
      #expect(String(decoding: Array(page.body.readableBytesView), as: UTF8.self).contains("\"data\":\(data)"))
      let stored = try #require(
        try await WebhookStore(database: world.database, secrets: world.secrets)
          .events(portal: portal.code, after: nil, limit: 10).first { $0.id == event })
      #expect(String(decoding: WebhookDispatcher.body(of: stored), as: UTF8.self).contains("\"data\":\(data)"))
      let cursor = try #require(page.json["next_cursor"]?.stringValue)
      let empty = try await client.send(.get, "/v1/events?after=\(cursor)", key: portal.key)
      #expect(empty.json["data"]?.arrayValue?.isEmpty == true)
      #expect(empty.json["next_cursor"]?.stringValue == cursor)
      let other = try await client.send(.get, "/v1/events", key: world.otherPortalKey)
      #expect(other.json["data"]?.arrayValue?.contains { $0["id"]?.stringValue == event } == false)
      #expect(
        try await client.send(.post, "/v1/events/\(event)/redeliver", key: world.otherPortalKey).status == .notFound)
      #expect(try await client.send(.get, "/v1/events?after=garbage", key: portal.key).status == .unprocessableContent)
    }
  }

  /// The dispatcher as a service of the running application delivers on its own.
  @Test func theRunningServiceDeliversWithinSeconds() async throws {
    let receiver = try await Receiver()
    defer { receiver.stop() }
    var settings = WebhookSettings()
    settings.pollInterval = .milliseconds(100)
    settings.allowPrivate = true  // the receiver listens on loopback
    try await withFeePay(isolated: true, configure: { $0.webhooks = settings }) { world, client in
      let portal = try await portal(world, url: receiver.url)
      try await receiver.control(["secrets": [.string(portal.secret)]])
      let event = try await makeEvent(world, client, key: portal.key)
      var delivered = false
      for _ in 0..<100 where !delivered {
        try await Task.sleep(for: .milliseconds(100))
        delivered = try await receiver.received().contains { $0.id == event && $0.valid }
      }
      #expect(delivered)
      // The receiver has the delivery before the dispatcher has its answer and counts it.
      var metrics = String(decoding: try await client.send(.get, "/metrics").bytes, as: UTF8.self)
      for _ in 0..<100 where metricValue(metrics, "feepay_webhook_deliveries_total{outcome=\"delivered\"}") != 1 {
        try await Task.sleep(for: .milliseconds(100))
        metrics = String(decoding: try await client.send(.get, "/metrics").bytes, as: UTF8.self)
      }
      #expect(metricValue(metrics, "feepay_webhook_deliveries_total{outcome=\"delivered\"}") == 1)
      // The queue gauges are refreshed on the dispatcher's next poll.
      for _ in 0..<100 where metricValue(metrics, "feepay_webhook_queue_depth") != 0 {
        try await Task.sleep(for: .milliseconds(100))
        metrics = String(decoding: try await client.send(.get, "/metrics").bytes, as: UTF8.self)
      }
      #expect(metricValue(metrics, "feepay_webhook_queue_depth") == 0)
      #expect(metricValue(metrics, "feepay_webhook_oldest_undelivered_age_seconds") == 0)
    }
  }

  @Test func receiverDownThenUpSlowAndRetryAfter() async throws {
    try await withFeePay(isolated: true) { world, client in
      let port = try freeLoopbackPort()
      let portal = try await portal(world, url: "http://127.0.0.1:\(port)/hook")
      let event = try await makeEvent(world, client, key: portal.key)
      // Down: connection refused, retried after the first delay.
      #expect(try await dispatcher(world).runOnce() == 1)
      let (s1, a1, next1) = try await status(world, event)
      #expect(s1 == "pending")
      #expect(a1 == 1)
      #expect(abs(next1.timeIntervalSince(world.clock.now) - 5) < 1)
      #expect(try await dispatcher(world).runOnce() == 0, "not due yet")

      let receiver = try await Receiver(port: port)
      defer { receiver.stop() }
      try await receiver.control(["secrets": [.string(portal.secret)], "mode": "slow", "delay": 3])
      try await makeDue(world, event)
      // Slow: over the timeout, retried.
      #expect(try await dispatcher(world, timeout: .seconds(1)).runOnce() == 1)
      let (s2, a2, _) = try await status(world, event)
      #expect(s2 == "pending")
      #expect(a2 == 2)
      let rows = try await world.database.query("SELECT last_error FROM webhook_deliveries WHERE event_id = \(event)")
      #expect(try rows[0].decode(String?.self) == "timed out")

      // 503 with retry-after 600: the longer wait wins over the schedule's 60 s.
      try await receiver.control(["mode": "fail", "status": 503, "retry_after": "600"])
      try await makeDue(world, event)
      #expect(try await dispatcher(world).runOnce() == 1)
      let (_, a3, next3) = try await status(world, event)
      #expect(a3 == 3)
      #expect(abs(next3.timeIntervalSince(world.clock.now) - 600) < 1)

      // Up: delivered.
      try await receiver.control(["mode": "ok"])
      try await makeDue(world, event)
      #expect(try await dispatcher(world).runOnce() == 1)
      #expect(try await status(world, event).0 == "delivered")
      #expect(try await receiver.received().filter { $0.id == event && $0.valid }.count >= 2)
    }
  }

  @Test func goneDisablesTheEndpointUntilEnabled() async throws {
    let receiver = try await Receiver()
    defer { receiver.stop() }
    try await withFeePay(isolated: true) { world, client in
      let portal = try await portal(world, url: receiver.url)
      try await receiver.control(["secrets": [.string(portal.secret)], "mode": "gone"])
      let event = try await makeEvent(world, client, key: portal.key)
      #expect(try await dispatcher(world).runOnce() == 1)
      let enabled = try await world.database.query("SELECT webhook_enabled FROM portals WHERE code = \(portal.code)")
      #expect(try enabled[0].decode(Bool.self) == false)
      #expect(try await status(world, event).0 == "pending")
      #expect(try await dispatcher(world).runOnce() == 0, "a disabled endpoint gets nothing")
      try await receiver.control(["mode": "ok"])
      try await WebhookStore(database: world.database, secrets: world.secrets).enable(
        portal: portal.code, actor: "test", now: world.clock.now)
      #expect(try await dispatcher(world).runOnce() == 1)
      #expect(try await status(world, event).0 == "delivered")
    }
  }

  @Test func afterTheLastAttemptADeliveryIsFailedListedAndCanBeRedelivered() async throws {
    let receiver = try await Receiver()
    defer { receiver.stop() }
    try await withFeePay(isolated: true) { world, client in
      let portal = try await portal(world, url: receiver.url)
      try await receiver.control(["secrets": [.string(portal.secret)], "mode": "fail", "status": 500])
      let event = try await makeEvent(world, client, key: portal.key)
      for _ in 0..<4 {
        #expect(try await dispatcher(world).runOnce() == 1)
        try await makeDue(world, event)
      }
      #expect(try await status(world, event).0 == "failed")
      let failed = try await client.send(.get, "/v1/webhook-deliveries?status=failed", key: portal.key)
      #expect(failed.json["data"]?[0]?["event_id"]?.stringValue == event)
      #expect(failed.json["data"]?[0]?["attempts"] == 4)
      try await receiver.control(["mode": "ok"])
      let queued = try await client.send(.post, "/v1/events/\(event)/redeliver", key: portal.key)
      #expect(queued.status == .accepted)
      #expect(try await dispatcher(world).runOnce() == 1)
      #expect(try await status(world, event).0 == "delivered")
    }
  }

  @Test func bothSecretsSignDuringARotation() async throws {
    let receiver = try await Receiver()
    defer { receiver.stop() }
    try await withFeePay(isolated: true) { world, client in
      let portal = try await portal(world, url: receiver.url)
      let store = WebhookStore(database: world.database, secrets: world.secrets)
      let newSecret = try await store.rotateSecret(
        portal: portal.code, graceUntil: world.clock.now.addingTimeInterval(3600), actor: "test", now: world.clock.now)
      for secrets in [[portal.secret], [newSecret]] {
        try await receiver.control(["secrets": .array(secrets.map(JSONValue.string))])
        let event = try await makeEvent(world, client, key: portal.key)
        #expect(try await dispatcher(world).runOnce() == 1)
        let got = try await receiver.received().first { $0.id == event }
        #expect(got?.valid == true)
        #expect(got?.signatures == 2)
      }
      // After the grace period only the new secret signs. (A second past it: a timestamp read
      // back from PostgreSQL may differ from the clock's in its last floating-point bits, so
      // "ended exactly now" would be a coin toss.)
      try await world.database.query(
        "UPDATE portals SET previous_webhook_secret_until = \(world.clock.now.addingTimeInterval(-1)) WHERE code = \(portal.code)"
      )
      try await receiver.control(["secrets": [.string(portal.secret)]])
      let late = try await makeEvent(world, client, key: portal.key)
      _ = try await dispatcher(world).runOnce()
      let lateDelivery = try await receiver.received().first { $0.id == late }
      #expect(lateDelivery?.valid == false, "the old secret no longer signs")
      #expect(lateDelivery?.signatures == 1)
    }
  }

  @Test func threeDispatchersDeliverAThousandEventsOnceEach() async throws {
    let receiver = try await Receiver()
    defer { receiver.stop() }
    try await withFeePay(isolated: true) { world, client in
      let portal = try await portal(world, url: receiver.url)
      try await receiver.control(["secrets": [.string(portal.secret)]])
      try await world.database.query(
        """
        INSERT INTO events (id, portal_code, type, subject_id, data, created_at)
        SELECT 'evt_bulk' || lpad(g::text, 22, '0'), \(portal.code), 'invoice.expired', 'inv_x', '{"n": 1}'::jsonb, \(world.clock.now)
        FROM generate_series(1, 1000) g
        """)
      // Three dispatchers race for the same queue; with at most 4 in flight for the one
      // portal, a dispatcher often claims nothing and tries again.
      let dispatchers = (0..<3).map { _ in dispatcher(world) }
      let deadline = ContinuousClock.now + .seconds(120)
      try await withThrowingTaskGroup(of: Void.self) { group in
        for d in dispatchers {
          group.addTask {
            while ContinuousClock.now < deadline {
              if try await d.runOnce() == 0 {
                let left = try await world.scalar(
                  "SELECT count(*)::int FROM webhook_deliveries WHERE portal_code = \(portal.code) AND status <> 'delivered'"
                )
                if left == 0 { return }
                try await Task.sleep(for: .milliseconds(5))
              }
            }
          }
        }
        try await group.waitForAll()
      }
      let got = try await receiver.received()
      #expect(got.count == 1000)
      #expect(Set(got.compactMap(\.id)).count == 1000)
      #expect(got.filter { !$0.valid }.isEmpty)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM webhook_deliveries WHERE portal_code = \(portal.code) AND status = 'delivered'")
          == 1000)
    }
  }

  /// A redirect is the portal's answer, never followed: the body and its signature go to the
  /// URL the portal registered and nowhere else. (async-http-client's shared client
  /// followed up to 20, re-posting the signed payer data.)
  @Test func aRedirectIsNotFollowed() async throws {
    let first = try await Receiver()
    let second = try await Receiver()
    defer {
      first.stop()
      second.stop()
    }
    try await withFeePay(isolated: true) { world, client in
      let portal = try await portal(world, url: first.url)
      try await first.control([
        "secrets": [.string(portal.secret)], "mode": "redirect", "location": .string(second.url),
      ])
      try await second.control(["secrets": [.string(portal.secret)]])
      let event = try await makeEvent(world, client, key: portal.key)
      #expect(try await dispatcher(world).runOnce() == 1)
      #expect(try await first.received().count == 1)
      #expect(try await second.received().isEmpty, "the redirect was followed")
      let (state, attempts, _) = try await status(world, event)
      #expect(state == "pending")
      #expect(attempts == 1)
      let rows = try await world.database.query(
        "SELECT last_status, last_error FROM webhook_deliveries WHERE event_id = \(event)")
      let (lastStatus, lastError) = try rows[0].decode((Int?, String?).self)
      #expect(lastStatus == 307)
      #expect(lastError == "HTTP 307 (redirects are not followed)")
    }
  }

  /// Unless private targets are allowed, a delivery to an address inside is refused before
  /// any connection is made (here a live receiver on loopback gets nothing), and the refusal
  /// is what the delivery records.
  @Test func aWebhookIsNeverSentInside() async throws {
    let receiver = try await Receiver()
    defer { receiver.stop() }
    try await withFeePay(isolated: true) { world, client in
      // Stored while private targets were allowed; the operator has since turned them off.
      let portal = try await portal(world, url: receiver.url)
      try await receiver.control(["secrets": [.string(portal.secret)]])
      let event = try await makeEvent(world, client, key: portal.key)
      #expect(try await dispatcher(world, allowPrivate: false).runOnce() == 1)
      #expect(try await receiver.received().isEmpty)
      let rows = try await world.database.query(
        "SELECT status, last_status, last_error FROM webhook_deliveries WHERE event_id = \(event)")
      let (state, lastStatus, lastError) = try rows[0].decode((String, Int?, String?).self)
      #expect(state == "pending", "DNS can change: the delivery is retried on its schedule")
      #expect(lastStatus == nil)
      #expect(lastError?.hasPrefix("refused: webhook URL must start with https://") == true, "\(lastError ?? "")")
      // Allowed again, the same delivery goes.
      try await makeDue(world, event)
      #expect(try await dispatcher(world, allowPrivate: true).runOnce() == 1)
      #expect(try await status(world, event).0 == "delivered")
    }
  }

  /// Every spelling of an address inside is refused, whether it is written as a literal
  /// (in any form the system's resolver accepts) or reached through a name.
  @Test func addressesInsideAreRefusedInEverySpelling() async throws {
    let transport = WebhookTransport(allowPrivate: false)
    let inside: [(String, String)] = [
      ("https://127.0.0.1/hook", "loopback"), ("https://127.1.2.3/", "loopback"),
      ("https://2130706433/", "loopback"), ("https://0x7f.0.0.1/", "loopback"),
      ("https://[::1]/", "loopback"), ("https://[::ffff:127.0.0.1]/", "loopback"),
      ("https://[::ffff:7f00:1]:8443/", "loopback"), ("https://10.1.2.3/", "private"),
      ("https://172.16.0.1/", "private"), ("https://192.168.1.1/", "private"), ("https://100.64.0.1/", "private"),
      ("https://[fd00::1]/", "private"), ("https://169.254.169.254/latest/meta-data", "link_local"),
      ("https://[fe80::1]/", "link_local"), ("https://224.0.0.1/", "multicast"), ("https://[ff02::1]/", "multicast"),
      ("https://0.0.0.0/", "unspecified"), ("https://[::]/", "unspecified"),
      ("https://[64:ff9b::a00:1]/", "private"), ("https://[2002:7f00:1::]/", "loopback"),
      ("https://user@127.0.0.1@10.0.0.1/", "private"),
    ]
    for (url, scope) in inside {
      let refusal = await transport.refusal(of: url)
      #expect(refusal?.hasSuffix("a \(scope) address") == true, "\(url): \(refusal ?? "accepted")")
    }
    #expect(await transport.refusal(of: "https://localhost/") == "webhook URL names localhost")
    #expect(await transport.refusal(of: "https://a.localhost/") == "webhook URL names localhost")
    #expect(await transport.refusal(of: "http://8.8.8.8/")?.hasPrefix("webhook URL must start with https://") == true)
    #expect(await transport.refusal(of: "ftp://8.8.8.8/") != nil)
    #expect(await transport.refusal(of: "https://8.8.8.8/hook") == nil, "a public literal needs no lookup")
    var unresolved: [String] = []
    #expect(await transport.refusal(of: "https://nowhere.invalid/hook") { unresolved.append($0) } == nil)
    #expect(unresolved.count == 1, "a name without an address is reported, and checked again at each send")
    let laptop = WebhookTransport(allowPrivate: true)
    #expect(await laptop.refusal(of: "http://127.0.0.1:9/hook") == nil)
  }
}
