import FeePayCore
import Foundation
import Testing

/// Reading a VNPay IPN once: its parameters, and what they mean.
@Suite(.timeLimit(.minutes(5))) struct VNPayIPNTests {
  let code = PaymentCode.generate(prefix: "FP").value

  func query(_ changes: [String: String?] = [:]) -> String {
    var p: [String: String] = [
      "vnp_TxnRef": code, "vnp_Amount": "2600000", "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00",
      "vnp_TransactionNo": "14226112", "vnp_PayDate": "20261202101500", "vnp_TmnCode": "FEEPAY01",
      "vnp_OrderInfo": "Thanh toan \(code)",
    ]
    for (k, v) in changes { p[k] = v }
    return p.sorted { $0.key < $1.key }.map { "\($0.key)=\(VNPay.formEncode($0.value))" }.joined(separator: "&")
  }

  func meaning(_ changes: [String: String?] = [:], tmn: String? = "FEEPAY01") throws -> VNPayIPN.Meaning {
    try #require(VNPayIPN(query: query(changes), formBody: nil)).meaning(tmnCode: tmn)
  }

  @Test func aSuccessfulPaymentIsACreditInWholeDong() throws {
    guard case .paid(let n) = try meaning() else { Issue.record("not paid"); return }
    #expect(n.amount == 26_000)
    #expect(n.bankTxnID == "14226112")
    #expect(n.paymentCode == code)
    #expect(n.memo == "Thanh toan \(code)")
    #expect(n.paidAt == Timestamp.parse("2026-12-02T03:15:00Z"))
  }

  @Test func aFailedPaymentIsAnAttemptNotACredit() throws {
    #expect(
      try meaning(["vnp_ResponseCode": "24"])
        == .failedAttempt(
          paymentCode: PaymentCode(parsing: code), bankTxnID: "14226112", responseCode: "24", amount: 26_000))
    guard case .failedAttempt = try meaning(["vnp_TransactionStatus": "02"]) else {
      Issue.record("a failed transaction status must be an attempt")
      return
    }
  }

  @Test(
    arguments: [
      ["vnp_TxnRef": nil], ["vnp_Amount": "2600050"], ["vnp_Amount": "-100"], ["vnp_Amount": "0"], ["vnp_Amount": "x"],
      ["vnp_TransactionNo": nil], ["vnp_TransactionNo": String(repeating: "9", count: 65)],
      ["vnp_PayDate": "2026-12-02"],
      ["vnp_ResponseCode": nil], ["vnp_TransactionStatus": nil], ["vnp_TmnCode": "OTHER"],
    ] as [[String: String?]])
  func malformedOrForeignIPNs(_ change: [String: String?]) throws {
    #expect(try meaning(change) == .malformed)
  }

  @Test func aConnectorWithoutAMerchantCodeReadsNothing() throws {
    #expect(try meaning(tmn: nil) == .malformed)
  }

  @Test func brokenFormEncodingIsUnreadable() {
    #expect(VNPayIPN(query: "vnp_TxnRef=%ZZ", formBody: nil) == nil)
    #expect(VNPayIPN(query: "", formBody: Array("vnp_Amount=%E0%A4%A".utf8)) == nil)
  }

  @Test func theFormBodyFollowsTheQueryAndRepeatsAreKept() throws {
    let ipn = try #require(VNPayIPN(query: "a=1&vnp_X=2", formBody: Array("vnp_X=3&b=+x+".utf8)))
    #expect(ipn.parameters.map(\.0) == ["a", "vnp_X", "vnp_X", "b"])
    #expect(ipn.parameters.map(\.1) == ["1", "2", "3", " x "])
  }

  @Test func theSignatureIsCheckedOnTheSameParameters() throws {
    let unsigned = query()
    let parameters = try #require(FormEncoding.parse(unsigned))
    let signed = unsigned + "&vnp_SecureHash=" + VNPay.secureHash(parameters, secret: "s3cret")
    let ipn = try #require(VNPayIPN(query: signed, formBody: nil))
    #expect(ipn.verifies(secrets: ["old", "s3cret"]))
    #expect(!ipn.verifies(secrets: ["old"]))
  }

  @Test(arguments: ExceptionKind.allCases)
  func everyExceptionHasAnAnswer(_ kind: ExceptionKind) {
    let answer = VNPay.Answer.exception(kind)
    #expect([VNPay.Answer.invalidAmount, .alreadyConfirmed, .orderNotFound].contains(answer))
  }
}
