import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

@Suite(.timeLimit(.minutes(5))) struct IdempotencyTests {
  @Test func replayReturnsTheFirstResponseByteForByte() async throws {
    try await withFeePay { world, client in
      let body = world.invoiceBody(dossier: "IDEM-\(UUID().uuidString.prefix(8))")
      let first = try await client.createInvoice(body, key: world.portalKey, idempotencyKey: "order-1")
      #expect(first.status == .created)
      #expect(first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
      world.clock.advance(by: 3600)
      let second = try await client.createInvoice(body, key: world.portalKey, idempotencyKey: "order-1")
      #expect(second.status == .created)
      #expect(second.bytes == first.bytes)
      #expect(second.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")

      let different = try await client.createInvoice(
        world.invoiceBody { $0["procedure_code"] = "9.999" }, key: world.portalKey, idempotencyKey: "order-1")
      #expect(different.status == .unprocessableContent)
      #expect(different.problemCode == "idempotency_key_reused")

      // Keys are per portal: the other portal may use the same key for its own request.
      let other = try await client.createInvoice(
        world.invoiceBody(), key: world.otherPortalKey, idempotencyKey: "order-1")
      #expect(other.status == .created)
      #expect(other.json["id"] != first.json["id"])
    }
  }

  @Test func fiftyConcurrentRequestsWithOneKeyCreateOneInvoice() async throws {
    try await withFeePay { world, client in
      let dossier = "RACE-\(UUID().uuidString.prefix(8))"
      let body = world.invoiceBody(dossier: dossier)
      let responses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, [UInt8], String?).self) { group in
        for _ in 0..<50 {
          group.addTask {
            let r = try await client.createInvoice(body, key: world.portalKey, idempotencyKey: "race-\(dossier)")
            return (r.status, r.bytes, r.problemCode)
          }
        }
        return try await group.reduce(into: [(HTTPResponse.Status, [UInt8], String?)]()) { $0.append($1) }
      }
      let created = responses.filter { $0.0 == .created }
      let busy = responses.filter { $0.0 == .conflict }
      #expect(created.count + busy.count == 50)
      #expect(created.count >= 1)
      #expect(Set(created.map(\.1)).count == 1, "every success is the same response")
      #expect(busy.allSatisfy { $0.2 == "idempotency_request_in_progress" })
      #expect(try await world.scalar("SELECT count(*)::int FROM invoices WHERE dossier_code = \(dossier)") == 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.dossier_code = \(dossier)"
        ) == 1)
    }
  }

  /// While a request with a key is still running (it holds the key's advisory lock), a retry
  /// is told so at once and writes nothing; once it is done the key is free again.
  @Test func aRetryWhileTheFirstRunsIsRefusedNotQueued() async throws {
    try await withFeePay { world, client in
      let dossier = "BUSY-\(UUID().uuidString.prefix(8))"
      let body = world.invoiceBody(dossier: dossier)
      let key = "busy-\(dossier)"
      try await world.database.transaction { c in
        try await c.query(
          "SELECT pg_advisory_xact_lock(hashtextextended(\(world.portal) || ' ' || \(key), 0))",
          logger: world.database.logger)
        let busy = try await client.createInvoice(body, key: world.portalKey, idempotencyKey: key)
        #expect(busy.status == .conflict)
        #expect(busy.problemCode == "idempotency_request_in_progress")
      }
      #expect(try await world.scalar("SELECT count(*)::int FROM invoices WHERE dossier_code = \(dossier)") == 0)
      let created = try await client.createInvoice(body, key: world.portalKey, idempotencyKey: key)
      #expect(created.status == .created)
      #expect(try await world.scalar("SELECT count(*)::int FROM invoices WHERE dossier_code = \(dossier)") == 1)
    }
  }

  @Test func keysOlderThanADayArePrunedAndMayBeReused() async throws {
    try await withFeePay(isolated: true) { world, client in
      let invoices = InvoiceStore(
        database: world.database, ids: IDGenerator(clock: world.clock), presenter: InvoicePresenter(publicBaseURL: "x"))
      let first = try await client.createInvoice(world.invoiceBody(), key: world.portalKey, idempotencyKey: "daily")
      world.clock.advance(by: 24 * 3600 + 1)
      #expect(try await invoices.pruneIdempotencyKeys(now: world.clock.now) >= 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM idempotency_keys WHERE portal_code = \(world.portal) AND key = 'daily'") == 0)
      let reused = try await client.createInvoice(
        world.invoiceBody { $0["procedure_code"] = "2.000" }, key: world.portalKey, idempotencyKey: "daily")
      #expect(reused.status == .created)
      #expect(reused.json["id"] != first.json["id"])
    }
  }

  @Test func aFailedRequestFreesItsKey() async throws {
    try await withFeePay { world, client in
      // A request that passes validation but fails authorization never claims the key.
      let refused = try await client.createInvoice(
        world.invoiceBody { $0["agency_code"] = .string(world.otherAgency) }, key: world.portalKey,
        idempotencyKey: "retry-me")
      #expect(refused.status == .forbidden)
      let accepted = try await client.createInvoice(
        world.invoiceBody(), key: world.portalKey, idempotencyKey: "retry-me")
      #expect(accepted.status == .created)
    }
  }

  /// Nor does one refused by validation, or one whose body is not JSON: the corrected
  /// request with the same key is created (not `422 idempotency_key_reused`, not a replay).
  @Test func aRequestRefusedByValidationDoesNotUseUpItsKey() async throws {
    try await withFeePay { world, client in
      let key = "fix-and-retry-\(UUID().uuidString)"
      let dossier = "FIX-\(UUID().uuidString.prefix(8))"
      let invalid = try await client.createInvoice(
        world.invoiceBody(dossier: dossier) { $0["lines"] = [] }, key: world.portalKey, idempotencyKey: key)
      #expect(invalid.status == .unprocessableContent)
      #expect(invalid.problemCode == "validation_failed")
      let malformed = try await client.send(
        .post, "/v1/invoices", key: world.portalKey, raw: Array("{\"agency_code\": ".utf8),
        headers: ["Idempotency-Key": key])
      #expect(malformed.status == .badRequest)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM idempotency_keys WHERE portal_code = \(world.portal) AND key = \(key)") == 0)
      let fixed = try await client.createInvoice(
        world.invoiceBody(dossier: dossier), key: world.portalKey, idempotencyKey: key)
      #expect(fixed.status == .created)
      #expect(fixed.headers[.init("Idempotent-Replayed")!] == nil)
      #expect(try await world.scalar("SELECT count(*)::int FROM invoices WHERE dossier_code = \(dossier)") == 1)
    }
  }
}
