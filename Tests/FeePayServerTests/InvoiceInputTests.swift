import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing

/// Bad input: each gets a specific error and changes nothing.
@Suite(.timeLimit(.minutes(5))) struct InvoiceInputTests {
  typealias Edit = @Sendable (inout [String: JSONValue]) -> Void

  static let cases: [(String, String, Edit)] = [
    ("missing agency", "/agency_code", { $0["agency_code"] = nil }),
    ("agency of wrong type", "/agency_code", { $0["agency_code"] = 42 }),
    ("dossier with bad characters", "/dossier_code", { $0["dossier_code"] = "hồ sơ 1" }),
    ("dossier too long", "/dossier_code", { $0["dossier_code"] = .string(String(repeating: "A", count: 65)) }),
    ("procedure missing", "/procedure_code", { $0["procedure_code"] = .null }),
    ("payer missing", "/payer", { $0["payer"] = nil }),
    ("payer not an object", "/payer", { $0["payer"] = "An" }),
    ("payer name empty", "/payer/name", { $0["payer"] = ["name": "   "] }),
    ("payer name too long", "/payer/name", { $0["payer"] = ["name": .string(String(repeating: "ễ", count: 201))] }),
    ("payer name with control character", "/payer/name", { $0["payer"] = ["name": "An\u{0007}"] }),
    ("payer email", "/payer/email", { $0["payer"] = ["name": "An", "email": "not-an-email"] }),
    ("payer phone", "/payer/phone", { $0["payer"] = ["name": "An", "phone": "09-01"] }),
    ("lines missing", "/lines", { $0["lines"] = nil }),
    ("lines empty", "/lines", { $0["lines"] = [] }),
    (
      "101 lines", "/lines",
      {
        $0["lines"] = .array(
          Array(repeating: ["fee_code": "A", "description": "d", "quantity": 1, "unit_amount": 1], count: 101))
      }
    ),
    ("line not an object", "/lines/0", { $0["lines"] = [5] }),
    (
      "quantity zero", "/lines/0/quantity",
      { $0["lines"] = [["fee_code": "A", "description": "d", "quantity": 0, "unit_amount": 1]] }
    ),
    (
      "quantity 10001", "/lines/0/quantity",
      { $0["lines"] = [["fee_code": "A", "description": "d", "quantity": 10001, "unit_amount": 1]] }
    ),
    (
      "quantity as string", "/lines/0/quantity",
      { $0["lines"] = [["fee_code": "A", "description": "d", "quantity": "2", "unit_amount": 1]] }
    ),
    (
      "unit amount zero", "/lines/0/unit_amount",
      { $0["lines"] = [["fee_code": "A", "description": "d", "quantity": 1, "unit_amount": 0]] }
    ),
    (
      "unit amount negative", "/lines/0/unit_amount",
      { $0["lines"] = [["fee_code": "A", "description": "d", "quantity": 1, "unit_amount": -5]] }
    ),
    (
      "unit amount above 10^12", "/lines/0/unit_amount",
      { $0["lines"] = [["fee_code": "A", "description": "d", "quantity": 1, "unit_amount": 1_000_000_000_001]] }
    ),
    (
      "unit amount fractional", "/lines/0/unit_amount",
      { $0["lines"] = [["fee_code": "A", "description": "d", "quantity": 1, "unit_amount": 1.5]] }
    ),
    (
      "unit amount beyond Int64", "/lines/0/unit_amount",
      { $0["lines"] = [["fee_code": "A", "description": "d", "quantity": 1, "unit_amount": 1e20]] }
    ),
    (
      "fee code bad", "/lines/0/fee_code",
      { $0["lines"] = [["fee_code": "phí", "description": "d", "quantity": 1, "unit_amount": 1]] }
    ),
    (
      "description missing", "/lines/0/description",
      { $0["lines"] = [["fee_code": "A", "quantity": 1, "unit_amount": 1]] }
    ),
    (
      "total above ceiling", "/lines",
      {
        $0["lines"] = [
          ["fee_code": "A", "description": "d", "quantity": 2, "unit_amount": 1_000_000_000_000]
        ]
      }
    ),
    ("currency USD", "/currency", { $0["currency"] = "USD" }),
    ("expires in the past", "/expires_at", { $0["expires_at"] = "2001-01-01T00:00:00+07:00" }),
    ("expires beyond 90 days", "/expires_at", { $0["expires_at"] = "2099-01-01T00:00:00+07:00" }),
    ("expires without offset", "/expires_at", { $0["expires_at"] = "2026-12-02T17:00:00" }),
    (
      "metadata with 21 keys", "/metadata",
      { $0["metadata"] = .object(Dictionary(uniqueKeysWithValues: (0..<21).map { ("k\($0)", JSONValue.string("v")) })) }
    ),
    ("metadata value not a string", "/metadata/n", { $0["metadata"] = ["n": 5] }),
    (
      "metadata over 4 KiB", "/metadata",
      {
        $0["metadata"] = .object(
          Dictionary(
            uniqueKeysWithValues: (0..<10).map { ("k\($0)", JSONValue.string(String(repeating: "x", count: 450))) }))
      }
    ),
  ]

  @Test(arguments: cases.indices)
  func eachInvalidFieldIsNamedAndNothingIsCreated(_ index: Int) async throws {
    let (name, pointer, edit) = Self.cases[index]
    try await withFeePay { world, client in
      let dossier = "BAD-\(index)-\(UUID().uuidString.prefix(6))"
      let response = try await client.createInvoice(world.invoiceBody(dossier: dossier, edit), key: world.portalKey)
      #expect(response.status == .unprocessableContent, "\(name)")
      #expect(response.problemCode == "validation_failed", "\(name)")
      #expect(response.headers[.contentType] == "application/problem+json")
      let pointers = response.json["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
      #expect(pointers.contains(pointer), "\(name): \(pointers)")
      let created = try await world.scalar("SELECT count(*)::int FROM invoices WHERE dossier_code = \(dossier)")
      #expect(created == 0)
    }
  }

  @Test func malformedBodiesAre400And415And413() async throws {
    try await withFeePay { world, client in
      let headers = ["Idempotency-Key": "m1"]
      for raw in [
        "{", "", "null", "[1,2]", "\"text\"", "{\"a\":1}garbage", "{\"a\":1,}", "{'a':1}",
        "{\"payer\":{},\"payer\":{}}",
      ] {
        let r = try await client.send(
          .post, "/v1/invoices", key: world.portalKey, raw: Array(raw.utf8), headers: headers)
        #expect(r.status == .badRequest, "\(raw)")
        #expect(r.problemCode == "malformed_request")
      }
      // RFC 8259 lets a parser ignore a byte order mark: the body is JSON, just invalid.
      let bom = try await client.send(
        .post, "/v1/invoices", key: world.portalKey, raw: Array("\u{FEFF}{}".utf8), headers: headers)
      #expect(bom.status == .unprocessableContent)
      let invalidUTF8 = try await client.send(
        .post, "/v1/invoices", key: world.portalKey, raw: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D],
        headers: headers)
      #expect(invalidUTF8.status == .badRequest)

      var textHeaders = headers
      textHeaders["Content-Type"] = "text/plain"
      var plain = HTTPFields()
      plain[.authorization] = "Bearer \(world.portalKey)"
      plain[.contentType] = "text/plain"
      plain[HTTPField.Name("Idempotency-Key")!] = "m2"
      let wrongType = try await client.execute(
        uri: "/v1/invoices", method: .post, headers: plain, body: ByteBuffer(string: world.invoiceBody().jsonText)
      ) { $0 }
      #expect(wrongType.status == .unsupportedMediaType)
      #expect(wrongType.problemCode == "unsupported_media_type")

      let huge = Array("{\"pad\":\"".utf8) + Array(repeating: UInt8(ascii: "x"), count: 1 << 20) + Array("\"}".utf8)
      let tooLarge = try await client.send(.post, "/v1/invoices", key: world.portalKey, raw: huge, headers: headers)
      #expect(tooLarge.status == .contentTooLarge)
      #expect(tooLarge.problemCode == "payload_too_large")
    }
  }

  @Test func idempotencyKeyIsRequiredAndChecked() async throws {
    try await withFeePay { world, client in
      let missing = try await client.send(.post, "/v1/invoices", key: world.portalKey, json: world.invoiceBody())
      #expect(missing.status == .badRequest)
      #expect(missing.json["detail"]?.stringValue?.contains("Idempotency-Key") == true)
      let tooLong = try await client.createInvoice(
        world.invoiceBody(), key: world.portalKey, idempotencyKey: String(repeating: "k", count: 256))
      #expect(tooLong.status == .unprocessableContent)
      #expect(tooLong.json["errors"]?[0]?["parameter"] == "Idempotency-Key")
    }
  }
}
