import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

@Suite(.timeLimit(.minutes(5))) struct VNPayCallbackTests {
  struct Gateway {
    let code: String
    let secret = "VNPAYSECRET2026"
    let tmn = "DEMO1234"

    func ipn(_ code: String, amount: Int64, txn: String, response: String = "00", at date: Date) -> [(String, String)] {
      var p: [(String, String)] = [
        ("vnp_Amount", String(amount * 100)), ("vnp_BankCode", "NCB"), ("vnp_OrderInfo", "Thanh toan \(code)"),
        ("vnp_PayDate", VNPay.formatDate(date)), ("vnp_ResponseCode", response), ("vnp_TmnCode", tmn),
        ("vnp_TransactionNo", txn), ("vnp_TransactionStatus", response), ("vnp_TxnRef", code),
      ]
      p.append(("vnp_SecureHash", VNPay.secureHash(p, secret: secret)))
      return p
    }

    func uri(_ p: [(String, String)]) -> String {
      "/v1/callbacks/\(code)?" + p.map { VNPay.formEncode($0.0) + "=" + VNPay.formEncode($0.1) }.joined(separator: "&")
    }
  }

  func gateway(_ world: TestWorld) async throws -> Gateway {
    let g = Gateway(code: "vnp-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))")
    try await ConnectorStore(database: world.database, secrets: world.secrets).add(
      .init(code: g.code, kind: .vnpay, secret: g.secret, publicKey: nil, tmnCode: g.tmn, agencies: []), actor: "test",
      at: world.clock.now)
    return g
  }

  @Test func ipnAnswersInVNPaysOrder() async throws {
    try await withFeePay { world, client in
      let g = try await gateway(world)
      let now = world.clock.now
      let (id, code, total) = try await world.invoice(client)
      func rsp(_ p: [(String, String)]) async throws -> String? {
        let r = try await client.send(.get, g.uri(p))
        #expect(r.status == .ok)
        return r.json["RspCode"]?.stringValue
      }
      // A failed attempt is recorded and acknowledged; the invoice stays open.
      #expect(try await rsp(g.ipn(code, amount: total, txn: "T0", response: "24", at: now)) == "00")
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["status"] == "open")
      #expect(try await world.scalar("SELECT count(*)::int FROM payment_attempts WHERE invoice_id = \(id)") == 1)

      var forged = g.ipn(code, amount: total, txn: "T1", at: now)
      forged[0].1 = "100"
      #expect(try await rsp(forged) == "97")
      #expect(try await rsp(g.ipn(code, amount: total + 1, txn: "T2", at: now)) == "04")
      #expect(try await rsp(g.ipn("FP000000004", amount: total, txn: "T3", at: now)) == "01")
      let good = g.ipn(code, amount: total, txn: "T4", at: now)
      #expect(try await rsp(good.reversed()) == "00", "parameter order does not matter")
      #expect(try await rsp(good) == "02", "the same transaction again")
      #expect(try await rsp(g.ipn(code, amount: total, txn: "T5", at: now)) == "02", "already paid by another")
      #expect(
        try await rsp(g.ipn(code, amount: total + 5, txn: "T6", at: now)) == "04", "amount is checked before state")
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["status"] == "paid")

      var upper = g.ipn(code, amount: total, txn: "T7", at: now)
      upper[upper.count - 1].1 = upper[upper.count - 1].1.uppercased()
      #expect(try await rsp(upper) == "02", "upper-case hex is the same MAC: verified, then already paid")
      let duplicated = g.ipn(code, amount: total, txn: "T8", at: now) + [("vnp_Amount", "100")]
      #expect(try await rsp(duplicated) == "97")
      let missing = g.ipn(code, amount: total, txn: "T9", at: now).filter { $0.0 != "vnp_TxnRef" }
      #expect(try await rsp(missing) == "97", "a removed parameter breaks the hash")
      var noAmount = g.ipn(code, amount: total, txn: "T10", at: now).filter {
        $0.0 != "vnp_Amount" && $0.0 != "vnp_SecureHash"
      }
      noAmount.append(("vnp_SecureHash", VNPay.secureHash(noAmount, secret: g.secret)))
      #expect(try await rsp(noAmount) == "99", "signed but malformed")
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(id)") == 1)

      // Nothing is lost: money VNPay reported for a wrong amount (T2, T6), an unknown order
      // (T3) or an invoice already paid (T5, T7) is an exception with the money in
      // suspense; forged and malformed notifications left nothing.
      let exceptions = try await world.database.query(
        "SELECT bank_txn_id, kind, amount FROM payment_exceptions WHERE connector_code = \(g.code) ORDER BY bank_txn_id"
      ).map { try $0.decode((String, String, Int64).self) }
      #expect(exceptions.map(\.0) == ["T2", "T3", "T5", "T6", "T7"])
      #expect(
        exceptions.map(\.1) == [
          "amount_mismatch", "unknown_payment_code", "already_paid", "amount_mismatch", "already_paid",
        ])
      #expect(exceptions.map(\.2) == [total + 1, total, total, total + 5, total])
      let suspense = try await world.scalar(
        "SELECT (sum(credit) - sum(debit))::int FROM ledger_postings WHERE account_code = \("suspense:\(g.code)")")
      #expect(Int64(suspense) == exceptions.map(\.2).reduce(0, +))
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM callbacks WHERE connector_code = \(g.code) AND bank_txn_id = ANY(\(["T1", "T8", "T9", "T10"]))"
        ) == 0)
    }
  }

  /// Replayed IPNs are answered but not kept again: a failed attempt once per (connector,
  /// vnp_TransactionNo, vnp_ResponseCode), a paid IPN once per transaction, even when ten of
  /// each arrive at once.
  @Test func replayedIPNsAreKeptOnce() async throws {
    try await withFeePay { world, client in
      let g = try await gateway(world)
      let now = world.clock.now
      let (id, code, total) = try await world.invoice(client)
      func fire(_ p: [(String, String)], times: Int) async throws -> [String] {
        try await withThrowingTaskGroup(of: String.self) { group in
          for _ in 0..<times {
            group.addTask { try await client.send(.get, g.uri(p)).json["RspCode"]?.stringValue ?? "?" }
          }
          return try await group.reduce(into: []) { $0.append($1) }
        }
      }
      let failed = g.ipn(code, amount: total, txn: "R1", response: "24", at: now)
      #expect(try await fire(failed, times: 10).allSatisfy { $0 == "00" })
      #expect(try await world.scalar("SELECT count(*)::int FROM payment_attempts WHERE invoice_id = \(id)") == 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM callbacks WHERE connector_code = \(g.code) AND bank_txn_id = 'R1'") == 1)
      // Another response code for the same transaction is another fact, kept.
      _ = try await fire(g.ipn(code, amount: total, txn: "R1", response: "11", at: now), times: 1)
      #expect(try await world.scalar("SELECT count(*)::int FROM payment_attempts WHERE invoice_id = \(id)") == 2)
      let paid = g.ipn(code, amount: total, txn: "R2", at: now)
      let answers = try await fire(paid, times: 10)
      #expect(answers.filter { $0 == "00" }.count == 1)
      #expect(answers.filter { $0 == "02" }.count == 9)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM callbacks WHERE connector_code = \(g.code) AND bank_txn_id = 'R2'") == 1)
    }
  }

  @Test func checkoutURLIsSignedForOpenInvoicesOnly() async throws {
    try await withFeePay { world, client in
      let g = try await gateway(world)
      let (id, code, total) = try await world.invoice(client)
      try await ProvisioningStore(database: world.database, ids: IDGenerator(clock: world.clock)).setReturnHosts(
        portal: world.portal, hosts: ["Portal.example"], actor: "test", at: world.clock.now)
      let r = try await client.send(
        .get, "/v1/invoices/\(id)/checkout?connector=\(g.code)&return_url=https://portal.example/back",
        key: world.portalKey)
      #expect(r.status == .ok)
      let url = try #require(r.json["url"]?.stringValue)
      let query = try #require(url.split(separator: "?", maxSplits: 1).last.map(String.init))
      let params = try #require(FormQueryForTests.parse(query))
      #expect(VNPay.verify(params, secrets: [g.secret]))
      #expect(params.contains { $0 == ("vnp_TxnRef", code) })
      #expect(params.contains { $0 == ("vnp_Amount", String(total * 100)) })
      let bad = try await client.send(
        .get, "/v1/invoices/\(id)/checkout?connector=nope&return_url=x", key: world.portalKey)
      #expect(bad.status == .unprocessableContent)
      // The return URL is https and on the portal's own list of hosts, nowhere else.
      for (returnURL, reason) in [
        ("http://portal.example/back", "must be an https URL"),
        ("https://evil.example/back", "host evil.example is not one of this portal's return hosts"),
        (
          "https://portal.example.evil.example/",
          "host portal.example.evil.example is not one of this portal's return hosts"
        ),
        ("https://portal.example@evil.example/", "must not carry a user name"),
        ("javascript:alert(1)", "must be an https URL"),
      ] {
        let refused = try await client.send(
          .get, "/v1/invoices/\(id)/checkout?connector=\(g.code)&return_url=\(returnURL)", key: world.portalKey)
        #expect(refused.status == .unprocessableContent, "\(returnURL)")
        #expect(refused.json["errors"]?[0]?["detail"]?.stringValue == reason, "\(returnURL)")
      }
      // Another portal, with no return hosts, gets no checkout URL.
      let (otherID, _, _) = try await world.invoice(client, key: world.otherPortalKey)
      let none = try await client.send(
        .get, "/v1/invoices/\(otherID)/checkout?connector=\(g.code)&return_url=https://portal.example/back",
        key: world.otherPortalKey)
      #expect(
        none.json["errors"]?[0]?["detail"]?.stringValue
          == "this portal has no return hosts (feepay portal set-return-hosts)")
      _ = try await client.send(.post, "/v1/invoices/\(id)/cancel", key: world.portalKey)
      let closed = try await client.send(
        .get, "/v1/invoices/\(id)/checkout?connector=\(g.code)&return_url=https://portal.example/back",
        key: world.portalKey)
      #expect(closed.status == .conflict)
    }
  }
}

enum FormQueryForTests {
  static func parse(_ text: String) -> [(String, String)]? {
    text.split(separator: "&").map { pair in
      let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      return (
        String(kv[0]),
        (kv.count > 1 ? String(kv[1]) : "").replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
      )
    }
  }
}
