import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

@Suite(.timeLimit(.minutes(5))) struct ExpiryTests {
  @Test func anOverdueInvoiceReadsExpiredAtOnceAndTheSweepRecordsIt() async throws {
    try await withFeePay(isolated: true) { world, client in
      let expiresAt = Timestamp.format(world.clock.now.addingTimeInterval(120))
      let created = try await client.createInvoice(
        world.invoiceBody { $0["expires_at"] = .string(expiresAt) }, key: world.portalKey)
      let id = try #require(created.json["id"]?.stringValue)
      #expect(created.json["status"] == "open")
      world.clock.advance(by: 121)

      let read = try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey)
      #expect(read.json["status"] == "expired")
      let listed = try await client.send(.get, "/v1/invoices?status=expired", key: world.portalKey)
      #expect(listed.json["data"]?.arrayValue?.contains { $0["id"]?.stringValue == id } == true)
      let cancel = try await client.send(.post, "/v1/invoices/\(id)/cancel", key: world.portalKey)
      #expect(cancel.status == .conflict)
      #expect(cancel.problemCode == "invoice_not_open")

      let invoices = InvoiceStore(
        database: world.database, ids: IDGenerator(clock: world.clock), presenter: InvoicePresenter(publicBaseURL: "x"))
      _ = try await invoices.expireDue(now: world.clock.now)
      let stored = try await world.database.query("SELECT status FROM invoices WHERE id = \(id)")
      #expect(try stored[0].decode(String.self) == "expired")
      #expect(
        try await world.scalar("SELECT count(*)::int FROM events WHERE subject_id = \(id) AND type = 'invoice.expired'")
          == 1)
      _ = try await invoices.expireDue(now: world.clock.now)
      #expect(try await world.scalar("SELECT count(*)::int FROM events WHERE subject_id = \(id)") == 1)
    }
  }

  @Test func concurrentSweepsExpireEachInvoiceOnce() async throws {
    let configuration = try await TestEnvironment.shared.migratedDatabase()
    let database = Database(configuration: configuration, poolSize: 8, logger: TestEnvironment.logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await database.client.run() }
      defer { group.cancelAll() }
      let clock = ManualClock(Date())
      let world = try await TestWorld.seed(database: database, clock: clock)
      let invoices = InvoiceStore(
        database: database, ids: IDGenerator(clock: clock), presenter: InvoicePresenter(publicBaseURL: "x"))
      var json = world.invoiceBody()
      if case .object(var members) = json {
        members["expires_at"] = .string(Timestamp.format(clock.now.addingTimeInterval(60)))
        json = .object(members)
      }
      let draft = try InvoiceDraft(json: json, now: clock.now)
      for i in 0..<120 {
        _ = try await invoices.create(
          draft, portalCode: world.portal, actor: "test",
          idempotency: IdempotencyRequest(key: "k\(i)", requestHash: [UInt8(i)]), now: clock.now
        ) { _ in StoredResponse.Content(status: 201, body: Array("{}".utf8)) }
      }
      clock.advance(by: 61)
      let counts = try await withThrowingTaskGroup(of: Int.self) { sweeps in
        for _ in 0..<4 {
          sweeps.addTask {
            try await invoices.expireDue(now: clock.now, limit: 7)
              + (try await invoices.expireDue(now: clock.now, limit: 500))
          }
        }
        return try await sweeps.reduce(0, +)
      }
      #expect(counts == 120)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM events WHERE type = 'invoice.expired' AND portal_code = \(world.portal)") == 120)
    }
  }
}
