import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

@Suite(.timeLimit(.minutes(5))) struct InvoiceAPITests {
  @Test func createGetAndListAnInvoice() async throws {
    try await withFeePay { world, client in
      let response = try await client.createInvoice(world.invoiceBody(), key: world.portalKey)
      #expect(response.status == .created)
      let invoice = response.json
      let id = try #require(invoice["id"]?.stringValue)
      #expect(IDGenerator.isWellFormed(id, kind: .invoice))
      #expect(invoice["status"] == "open")
      #expect(invoice["total_amount"] == 16000)
      #expect(invoice["lines"]?[0]?["amount"] == 16000)
      #expect(invoice["currency"] == "VND")
      #expect(invoice["paid_at"] == .null)
      #expect(invoice["receipt_id"] == .null)
      #expect(invoice["metadata"]?["portal_ref"] == "A-77")
      let code = try #require(invoice["payment_code"]?.stringValue)
      #expect(PaymentCode(parsing: code)?.value == code)
      // The link carries an unguessable token, not the payment code bank statements print.
      let url = try #require(invoice["payment_url"]?.stringValue)
      #expect(url.hasPrefix("https://pay.example.vn/pay/"))
      #expect(PayToken.isWellFormed(String(url.dropFirst("https://pay.example.vn/pay/".count))))
      #expect(!url.contains(code))
      let qr = try #require(invoice["vietqr"]?.stringValue)
      #expect(qr.contains("0006970436"))
      #expect(qr.contains(code))
      #expect(qr.contains("540516000"))
      #expect(CRC16.ccittFalseHex(Array(qr.dropLast(4).utf8)) == String(qr.suffix(4)))
      let expires = try #require(invoice["expires_at"]?.stringValue.flatMap(Timestamp.parse))
      #expect(abs(expires.timeIntervalSince(world.clock.now) - 72 * 3600) < 1)
      #expect(response.headers[HTTPField.Name("X-Request-Id")!] != nil)

      let fetched = try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey)
      #expect(fetched.status == .ok)
      #expect(fetched.json == invoice)

      let listed = try await client.send(.get, "/v1/invoices", key: world.portalKey)
      #expect(listed.json["data"]?[0]?["id"]?.stringValue == id)
      #expect(listed.json["next_cursor"] == .null)

      let audit = try await world.scalar(
        "SELECT count(*)::int FROM audit_log WHERE subject = \(id) AND action = 'invoice.create'")
      #expect(audit == 1)
    }
  }

  @Test func decomposedVietnameseComesBackNFC() async throws {
    try await withFeePay { world, client in
      let decomposed = "Nguye\u{0302}\u{0303}n Va\u{0306}n An"
      let body = world.invoiceBody {
        $0["payer"] = ["name": .string(decomposed)]
        $0["lines"] = [
          ["fee_code": "A", "description": "Le\u{0323}\u{0302} phi\u{0301}", "quantity": 1, "unit_amount": 5]
        ]
      }
      let response = try await client.createInvoice(body, key: world.portalKey)
      #expect(response.status == .created)
      let name = try #require(response.json["payer"]?["name"]?.stringValue)
      #expect(Array(name.utf8) == Array("Nguyễn Văn An".utf8))
      #expect(Array((response.json["lines"]?[0]?["description"]?.stringValue ?? "").utf8) == Array("Lệ phí".utf8))
      let id = try #require(response.json["id"]?.stringValue)
      let stored = try await world.database.query("SELECT payer_name FROM invoices WHERE id = \(id)")
      #expect(try Array(stored[0].decode(String.self).utf8) == Array("Nguyễn Văn An".utf8))
    }
  }

  @Test func portalsSeeOnlyTheirOwnInvoices() async throws {
    try await withFeePay { world, client in
      let id = try #require(
        try await client.createInvoice(world.invoiceBody(), key: world.portalKey).json["id"]?.stringValue)
      let other = try await client.send(.get, "/v1/invoices/\(id)", key: world.otherPortalKey)
      #expect(other.status == .notFound)
      #expect(other.problemCode == "not_found")
      let otherList = try await client.send(.get, "/v1/invoices", key: world.otherPortalKey)
      #expect(otherList.json["data"]?.arrayValue?.contains { $0["id"]?.stringValue == id } == false)
      let cancel = try await client.send(.post, "/v1/invoices/\(id)/cancel", key: world.otherPortalKey)
      #expect(cancel.status == .notFound)
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.accountantKey).status == .ok)
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.auditorKey).status == .ok)
      #expect(
        try await client.send(.get, "/v1/invoices/inv_00000000000000000000000000", key: world.portalKey).status
          == .notFound)
      #expect(try await client.send(.get, "/v1/invoices/not-an-id", key: world.portalKey).status == .notFound)
    }
  }

  @Test func authenticationAndRoles() async throws {
    try await withFeePay { world, client in
      let body = world.invoiceBody()
      let none = try await client.send(.post, "/v1/invoices", json: body, headers: ["Idempotency-Key": "a"])
      #expect(none.status == .unauthorized)
      #expect(none.problemCode == "unauthenticated")
      #expect(none.headers[.wwwAuthenticate] == "Bearer")
      let unknown = try await client.createInvoice(body, key: NewAPIKey.generate().secret)
      #expect(unknown.status == .unauthorized)
      let garbage = try await client.createInvoice(body, key: "fpk_<script>")
      #expect(garbage.status == .unauthorized)
      var headers = ["Idempotency-Key": "b", "Authorization": "Basic \(world.portalKey)"]
      headers["Content-Type"] = "application/json"
      #expect(try await client.send(.post, "/v1/invoices", json: body, headers: headers).status == .unauthorized)

      let accountant = try await client.createInvoice(body, key: world.accountantKey)
      #expect(accountant.status == .forbidden)
      #expect(accountant.problemCode == "forbidden")
      let foreignAgency = try await client.createInvoice(
        world.invoiceBody { $0["agency_code"] = .string(world.otherAgency) }, key: world.portalKey)
      #expect(foreignAgency.status == .forbidden)
      let missingAgency = try await client.createInvoice(
        world.invoiceBody { $0["agency_code"] = "NO-SUCH" }, key: world.portalKey)
      #expect(missingAgency.status == .forbidden)

      // A revoked key stops working at once, although invoice creation caches principals:
      // the insert itself checks the key, and nothing is written.
      let store = ProvisioningStore(database: world.database, ids: IDGenerator(clock: world.clock))
      let key = try await store.createKey(
        role: .portal, portalCode: world.portal, label: "temp", actor: "test", at: world.clock.now)
      #expect(try await client.createInvoice(body, key: key.secret).status == .created)
      _ = try await store.revokeKey(key.prefix, actor: "test", at: world.clock.now)
      let revoked = try await client.createInvoice(body, key: key.secret)
      #expect(revoked.status == .unauthorized)
      #expect(revoked.problemCode == "unauthenticated")
      #expect(try await client.createInvoice(body, key: key.secret).status == .unauthorized)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM audit_log WHERE actor = \("key:\(key.prefix)") AND action = 'invoice.create'") == 1
      )
      await #expect(throws: FeePayError.self) {
        try await store.revokeKey(key.secret, actor: "test", at: world.clock.now)
      }
    }
  }

  @Test func cancelOnlyAnOpenInvoiceOnce() async throws {
    try await withFeePay { world, client in
      let id = try #require(
        try await client.createInvoice(world.invoiceBody(), key: world.portalKey).json["id"]?.stringValue)
      #expect(try await client.send(.post, "/v1/invoices/\(id)/cancel", key: world.accountantKey).status == .forbidden)
      let cancelled = try await client.send(.post, "/v1/invoices/\(id)/cancel", key: world.portalKey)
      #expect(cancelled.status == .ok)
      #expect(cancelled.json["status"] == "cancelled")
      #expect(cancelled.json["cancelled_at"]?.stringValue != nil)
      let again = try await client.send(.post, "/v1/invoices/\(id)/cancel", key: world.portalKey)
      #expect(again.status == .conflict)
      #expect(again.problemCode == "invoice_not_open")
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM events WHERE subject_id = \(id) AND type = 'invoice.cancelled'") == 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM audit_log WHERE subject = \(id) AND action = 'invoice.cancel'") == 1)
    }
  }

  @Test func concurrentCancelsChangeTheInvoiceOnce() async throws {
    try await withFeePay { world, client in
      let id = try #require(
        try await client.createInvoice(world.invoiceBody(), key: world.portalKey).json["id"]?.stringValue)
      let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
        for _ in 0..<20 {
          group.addTask { try await client.send(.post, "/v1/invoices/\(id)/cancel", key: world.portalKey).status }
        }
        return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
      }
      #expect(statuses.filter { $0 == .ok }.count == 1)
      #expect(statuses.filter { $0 == .conflict }.count == 19)
      #expect(try await world.scalar("SELECT count(*)::int FROM events WHERE subject_id = \(id)") == 1)
    }
  }

  @Test func listFiltersAndPaginates() async throws {
    try await withFeePay { world, client in
      let dossier = "D-\(UUID().uuidString.prefix(8))"
      var ids: [String] = []
      for _ in 0..<5 {
        let r = try await client.createInvoice(world.invoiceBody(dossier: dossier), key: world.portalKey)
        ids.append(try #require(r.json["id"]?.stringValue))
        world.clock.advance(by: 1)
      }
      _ = try await client.createInvoice(world.invoiceBody(dossier: "OTHER-1"), key: world.portalKey)
      _ = try await client.send(.post, "/v1/invoices/\(ids[0])/cancel", key: world.portalKey)

      var seen: [String] = []
      var cursor: String?
      var pages = 0
      repeat {
        let uri = "/v1/invoices?dossier_code=\(dossier)&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
        let page = try await client.send(.get, uri, key: world.portalKey)
        #expect(page.status == .ok)
        seen += page.json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        cursor = page.json["next_cursor"]?.stringValue
        pages += 1
      } while cursor != nil && pages < 10
      #expect(seen == ids.reversed())
      #expect(pages == 3)

      let cancelled = try await client.send(
        .get, "/v1/invoices?dossier_code=\(dossier)&status=cancelled", key: world.portalKey)
      #expect(cancelled.json["data"]?.arrayValue?.map { $0["id"]?.stringValue } == [ids[0]])
      let open = try await client.send(.get, "/v1/invoices?dossier_code=\(dossier)&status=open", key: world.portalKey)
      #expect(open.json["data"]?.arrayValue?.count == 4)

      // created_after is exclusive; 2 s after the first invoice leaves the last three.
      let createdAt = try #require(
        try await client.send(.get, "/v1/invoices/\(ids[1])", key: world.portalKey).json["created_at"]?.stringValue)
      let after = try await client.send(
        .get, "/v1/invoices?dossier_code=\(dossier)&created_after=\(createdAt)", key: world.portalKey)
      #expect(after.json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == Array(ids[2...].reversed()))
    }
  }

  @Test(arguments: [
    ("limit=0", "limit"), ("limit=101", "limit"), ("limit=ten", "limit"), ("status=paid-ish", "status"),
    ("created_after=yesterday", "created_after"), ("cursor=%21%21", "cursor"), ("cursor=YWJj", "cursor"),
  ])
  func badListParametersAreNamed(_ query: String, _ parameter: String) async throws {
    try await withFeePay { world, client in
      let response = try await client.send(.get, "/v1/invoices?\(query)", key: world.portalKey)
      #expect(response.status == .unprocessableContent)
      #expect(response.json["errors"]?[0]?["parameter"]?.stringValue == parameter)
    }
  }

  @Test func requestIDIsEchoedOrGenerated() async throws {
    try await withFeePay { world, client in
      let echoed = try await client.send(.get, "/health/live", headers: ["X-Request-Id": "abc-123"])
      #expect(echoed.headers[HTTPField.Name("X-Request-Id")!] == "abc-123")
      let generated = try await client.send(.get, "/v1/invoices/nope", key: world.portalKey)
      let id = try #require(generated.headers[HTTPField.Name("X-Request-Id")!])
      #expect(generated.json["request_id"]?.stringValue == id)

      // A path FeePay does not serve is a problem document too, with its request id.
      let unknown = try await client.send(.get, "/v1/no-such-thing", headers: ["X-Request-Id": "lost-1"])
      #expect(unknown.status == .notFound)
      #expect(unknown.problemCode == "not_found")
      #expect(unknown.json["request_id"] == "lost-1")
    }
  }

  @Test func healthAndOpenAPI() async throws {
    // The readiness probe's 2 s bound is FaultTests' to test (against a stopped PostgreSQL);
    // here, with every suite running at once on two cores, a slow connection lease must not
    // read as "not ready".
    try await withFeePay(configure: { $0.readinessTimeout = .seconds(30) }) { _, client in
      #expect(try await client.send(.get, "/health/live").status == .ok)
      let ready = try await client.send(.get, "/health/ready")
      #expect(ready.status == .ok)
      #expect(ready.json["status"] == "ready")
      let spec = try await client.send(.get, "/openapi.yaml")
      #expect(spec.status == .ok)
      #expect(String(decoding: spec.bytes, as: UTF8.self).hasPrefix("openapi: 3.1"))
    }
  }

  @Test func realHTTPServerCreatesAnInvoice() async throws {
    try await withFeePay(.live) { world, client in
      let response = try await client.createInvoice(world.invoiceBody(), key: world.portalKey)
      #expect(response.status == .created)
      #expect(response.headers[.contentType] == "application/json")
    }
  }
}
