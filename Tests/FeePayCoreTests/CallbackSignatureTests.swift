import FeePayCore
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct StandardWebhooksTests {
  @Test(arguments: Vectors.list("standard_webhooks_hmac"))
  func hmacVector(_ v: JSONValue) throws {
    let secret = try #require(v["secret"]?.stringValue.flatMap(StandardWebhooks.secretBytes))
    let id = try #require(v["webhook_id"]?.stringValue)
    let ts = try #require(v["webhook_timestamp"]?.stringValue)
    let body = Array(try #require(v["body"]?.stringValue).utf8)
    let signature = try #require(v["signature"]?.stringValue)
    #expect(StandardWebhooks.signHMAC(secret: secret, id: id, timestamp: ts, body: body) == signature)
    let now = Date(timeIntervalSince1970: try #require(Double(ts)))
    try StandardWebhooks.verify(
      id: id, timestamp: ts, signatures: signature, body: body, verifier: .hmac([secret]), now: now)
  }

  @Test(arguments: Vectors.list("standard_webhooks_ed25519"))
  func ed25519Vector(_ v: JSONValue) throws {
    let secret = try #require(v["secret_key"]?.stringValue.flatMap { StandardWebhooks.keyBytes($0, prefix: "whsk_") })
    let publicKey = try #require(
      v["public_key"]?.stringValue.flatMap { StandardWebhooks.keyBytes($0, prefix: "whpk_") })
    let id = try #require(v["webhook_id"]?.stringValue)
    let ts = try #require(v["webhook_timestamp"]?.stringValue)
    let body = Array(try #require(v["body"]?.stringValue).utf8)
    let signature = try #require(v["signature"]?.stringValue)
    #expect(try StandardWebhooks.signEd25519(privateKey: secret, id: id, timestamp: ts, body: body) == signature)
    let now = Date(timeIntervalSince1970: try #require(Double(ts)))
    try StandardWebhooks.verify(
      id: id, timestamp: ts, signatures: signature, body: body, verifier: .ed25519([publicKey]), now: now)
    // The same signature under the HMAC scheme is not accepted.
    #expect(throws: StandardWebhooks.Refusal.noMatchingSignature) {
      try StandardWebhooks.verify(
        id: id, timestamp: ts, signatures: signature, body: body, verifier: .hmac([Array(repeating: 1, count: 32)]),
        now: now)
    }
  }

  @Test func refusals() throws {
    let secret = Array(repeating: UInt8(7), count: 32)
    let body = Array("{\"a\":1}".utf8)
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let ts = "1800000000"
    let good = StandardWebhooks.signHMAC(secret: secret, id: "m1", timestamp: ts, body: body)
    func check(_ id: String?, _ t: String?, _ s: String?, _ b: [UInt8] = body) -> StandardWebhooks.Refusal? {
      do {
        try StandardWebhooks.verify(id: id, timestamp: t, signatures: s, body: b, verifier: .hmac([secret]), now: now)
        return nil
      } catch { return error }
    }
    #expect(check("m1", ts, good) == nil)
    #expect(check("m1", ts, "v1,bogus " + good) == nil, "any listed signature may verify")
    #expect(check(nil, ts, good) == .missingHeaders)
    #expect(check("m1", nil, good) == .missingHeaders)
    #expect(check("m1", ts, nil) == .missingHeaders)
    #expect(check("m1", "17e8", good) == .badTimestamp)
    #expect(check("m1", "1799999699", good) == .staleTimestamp)
    #expect(check("m1", "1800000301", good) == .staleTimestamp)
    #expect(check("m2", ts, good) == .noMatchingSignature)
    #expect(check("m1", ts, good, Array("{\"a\":2}".utf8)) == .noMatchingSignature)
    #expect(check("m1", ts, String(good.dropLast(4))) == .noMatchingSignature)
    #expect(check("m1", ts, "v1,%%%not-base64%%%") == .noMatchingSignature)
    #expect(check("m1", ts, good.replacingOccurrences(of: "v1,", with: "v1a,")) == .noMatchingSignature)
  }
}

@Suite(.timeLimit(.minutes(5))) struct VNPayTests {
  static func vector() throws -> (params: [(String, String)], secret: String, toSign: String, hash: String) {
    let v = try #require(Vectors.list("vnpay_ipn").first)
    guard case .object(let query)? = v["query"] else { throw FeePayError(.malformedRequest, "vector") }
    let params = query.map { ($0.key, $0.value.stringValue ?? "") }
    return (
      params, try #require(v["hash_secret"]?.stringValue), try #require(v["string_to_sign"]?.stringValue),
      try #require(v["vnp_SecureHash"]?.stringValue)
    )
  }

  @Test func stringToSignAndHashMatchTheVector() throws {
    let v = try Self.vector()
    #expect(VNPay.stringToSign(v.params) == v.toSign)
    #expect(VNPay.secureHash(v.params, secret: v.secret) == v.hash)
    #expect(VNPay.verify(v.params + [("vnp_SecureHash", v.hash)], secrets: [v.secret]))
    #expect(
      VNPay.verify(v.params + [("vnp_SecureHash", v.hash), ("vnp_SecureHashType", "HmacSHA512")], secrets: [v.secret]))
  }

  @Test func forgeriesAreRefused() throws {
    let v = try Self.vector()
    let signed = v.params + [("vnp_SecureHash", v.hash)]
    #expect(VNPay.verify(signed.reversed(), secrets: [v.secret]), "order of parameters does not matter")
    #expect(
      VNPay.verify(v.params + [("vnp_SecureHash", v.hash.uppercased())], secrets: [v.secret]), "hex case does not")
    #expect(!VNPay.verify(signed, secrets: ["other_secret"]))
    #expect(!VNPay.verify(v.params, secrets: [v.secret]), "no hash")
    var tampered = signed
    tampered[0].1 = "2000000"
    #expect(!VNPay.verify(tampered, secrets: [v.secret]))
    #expect(!VNPay.verify(signed + [("vnp_Amount", "1000000")], secrets: [v.secret]), "duplicated parameter")
    let flipped = String(v.hash.dropLast()) + (v.hash.last == "0" ? "1" : "0")
    #expect(!VNPay.verify(v.params + [("vnp_SecureHash", flipped)], secrets: [v.secret]))
    #expect(VNPay.verify(signed, secrets: ["other_secret", v.secret]), "rotation: either secret")
  }

  @Test func datesAreVietnamTime() throws {
    let date = try #require(Timestamp.parse("2024-05-21T02:18:06Z"))
    #expect(VNPay.formatDate(date) == "20240521091806")
    #expect(VNPay.parseDate("20240521091806") == date)
    #expect(VNPay.parseDate("2024052109180") == nil)
  }

  @Test func paymentURLIsSigned() throws {
    let url = VNPay.paymentURL(
      gateway: "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html", tmnCode: "DEMO1234", secret: "SECRETSECRET",
      paymentCode: "FPK7M3Q9X2Z", amount: 16000, orderInfo: "Thanh toán lệ phí",
      returnURL: "https://portal.example/back",
      ipAddress: "127.0.0.1", createdAt: Date(timeIntervalSince1970: 1_800_000_000),
      expiresAt: Date(timeIntervalSince1970: 1_800_000_900))
    let query = try #require(url.split(separator: "?", maxSplits: 1).last)
    let params = query.split(separator: "&").map { pair -> (String, String) in
      let kv = pair.split(separator: "=", maxSplits: 1)
      return (
        String(kv[0]), String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
      )
    }
    #expect(VNPay.verify(params, secrets: ["SECRETSECRET"]))
    #expect(params.contains { $0 == ("vnp_Amount", "1600000") })
    #expect(params.contains { $0 == ("vnp_OrderInfo", "Thanh toan le phi") })
  }
}

@Suite(.timeLimit(.minutes(5))) struct CallbackDecisionTests {
  let now = Date(timeIntervalSince1970: 1_800_000_000)

  func invoice(status: InvoiceStatus = .open, total: Int64 = 16000, expiresIn: TimeInterval = 3600) -> Invoice {
    Invoice(
      id: "inv_x", portalCode: "p", agencyCode: "A", dossierCode: "d", procedureCode: "1", payer: Payer(name: "An"),
      lines: [InvoiceLine(feeCode: "F", description: "d", quantity: 2, unitAmount: total / 2, amount: total)],
      totalAmount: total, currency: .vnd, paymentCode: "FPK7M3Q9X2Z", vietQR: "", storedStatus: status,
      expiresAt: now.addingTimeInterval(expiresIn), createdAt: now, paidAt: nil, cancelledAt: nil, receiptID: nil,
      metadata: [:])
  }

  let connector = Connector(
    code: "vcb", kind: .standardWebhooks, secrets: [], publicKeys: [], tmnCode: nil, agencies: [])

  @Test func decisions() {
    #expect(CallbackDecision.decide(invoice: invoice(), amount: 16000, connector: connector, now: now) == .accept)
    #expect(
      CallbackDecision.decide(invoice: nil, amount: 1, connector: connector, now: now)
        == .exception(.unknownPaymentCode))
    #expect(
      CallbackDecision.decide(invoice: invoice(), amount: 15000, connector: connector, now: now)
        == .exception(.amountMismatch))
    #expect(
      CallbackDecision.decide(invoice: invoice(status: .paid), amount: 16000, connector: connector, now: now)
        == .exception(.alreadyPaid))
    #expect(
      CallbackDecision.decide(invoice: invoice(status: .cancelled), amount: 16000, connector: connector, now: now)
        == .exception(.invoiceNotOpen))
    #expect(
      CallbackDecision.decide(invoice: invoice(expiresIn: -1), amount: 16000, connector: connector, now: now)
        == .exception(.invoiceNotOpen))
    var restricted = connector
    restricted.agencies = ["B"]
    #expect(
      CallbackDecision.decide(invoice: invoice(), amount: 16000, connector: restricted, now: now)
        == .exception(.connectorNotAllowed))
    // VNPay's order: amount before state.
    #expect(
      CallbackDecision.decide(invoice: invoice(status: .paid), amount: 1, connector: connector, now: now)
        == .exception(.alreadyPaid))
    #expect(
      CallbackDecision.decide(
        invoice: invoice(status: .paid), amount: 1, connector: connector, now: now, amountBeforeState: true)
        == .exception(.amountMismatch))
  }

  @Test func journalsBalance() {
    var inv = invoice()
    inv.lines = [
      InvoiceLine(feeCode: "A", description: "a", quantity: 1, unitAmount: 6000, amount: 6000),
      InvoiceLine(feeCode: "B", description: "b", quantity: 1, unitAmount: 4000, amount: 4000),
      InvoiceLine(feeCode: "A", description: "a2", quantity: 1, unitAmount: 6000, amount: 6000),
    ]
    let journal = JournalDraft.paymentAccepted(connector: "vcb", invoice: inv)
    #expect(journal.isBalanced)
    #expect(journal.postings.count == 3)
    #expect(journal.postings.contains(.credit(.feesPayable(agency: "A", feeCode: "A"), 12000)))
    #expect(JournalDraft.paymentException(connector: "vcb", amount: 5).isBalanced)
    #expect(!JournalDraft(kind: "x", postings: [.debit(.writeOff, 1)]).isBalanced)
  }
}
