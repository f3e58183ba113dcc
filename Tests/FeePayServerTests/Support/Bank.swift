import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// A bank for tests: a connector of its own in the shared database, and signed callbacks.
struct TestBank: Sendable {
  let code: String
  let secret: String
  let world: TestWorld

  /// Adds an HMAC connector (optionally restricted to agencies). `signedStatements`
  /// declares its statements to come through the bank's signed channel, with auto-recovery
  /// on: lines for lost callbacks then pay their invoices when a machine's key uploads them.
  static func hmac(_ world: TestWorld, agencies: [String] = [], signedStatements: Bool = false) async throws
    -> TestBank
  {
    let code = "b-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    let secret = WebhookSecret.generate()
    let store = ConnectorStore(database: world.database, secrets: world.secrets)
    try await store.add(
      .init(
        code: code, kind: .standardWebhooks, secret: secret, publicKey: nil, tmnCode: nil, agencies: agencies,
        statementChannel: signedStatements ? .signed : .upload),
      actor: "test", at: world.clock.now)
    if signedStatements {
      try await store.setAutoRecovery(code: code, enabled: true, actor: "test", at: world.clock.now)
    }
    return TestBank(code: code, secret: secret, world: world)
  }

  static func body(
    paymentCode: String?, amount: Int64, txn: String, memo: String? = nil, paidAt: Date
  ) -> [UInt8] {
    var data: [String: JSONValue] = [
      "amount": .integer(amount), "currency": "VND", "bank_txn_id": .string(txn),
      "paid_at": .string(Timestamp.format(paidAt)),
    ]
    if let paymentCode { data["payment_code"] = .string(paymentCode) }
    if let memo { data["memo"] = .string(memo) }
    return Array(
      JSONValue.object([
        "type": "payment.succeeded", "timestamp": .string(Timestamp.format(paidAt)), "data": .object(data),
      ]).jsonText.utf8)
  }

  /// Standard Webhooks headers for `body`, signed with `secret` (default: the bank's).
  func headers(
    for body: [UInt8], id: String = "msg_\(UUID().uuidString)", timestamp: Date? = nil, signature: String? = nil
  )
    -> [String: String]
  {
    let ts = String(Int((timestamp ?? world.clock.now).timeIntervalSince1970))
    let sig =
      signature
      ?? StandardWebhooks.signHMAC(secret: StandardWebhooks.secretBytes(secret)!, id: id, timestamp: ts, body: body)
    return ["webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig, "Content-Type": "application/json"]
  }

  @discardableResult
  func pay(
    _ client: any TestClientProtocol, paymentCode: String?, amount: Int64, txn: String = UUID().uuidString,
    memo: String? = nil
  ) async throws -> TestResponse {
    let body = Self.body(paymentCode: paymentCode, amount: amount, txn: txn, memo: memo, paidAt: world.clock.now)
    return try await client.send(.post, "/v1/callbacks/\(code)", raw: body, headers: headers(for: body))
  }
}

extension TestWorld {
  /// Creates an invoice and answers (id, payment code, total).
  func invoice(_ client: any TestClientProtocol, expiresIn: TimeInterval? = nil, key: String? = nil) async throws
    -> (String, String, Int64)
  {
    let body = invoiceBody {
      if let expiresIn { $0["expires_at"] = .string(Timestamp.format(clock.now.addingTimeInterval(expiresIn))) }
    }
    let r = try await client.createInvoice(body, key: key ?? portalKey)
    guard r.status == .created, let id = r.json["id"]?.stringValue, let code = r.json["payment_code"]?.stringValue,
      let total = r.json["total_amount"]?.intValue
    else { throw FeePayError(.internalError, "could not create an invoice: \(r.status)") }
    return (id, code, total)
  }
}
