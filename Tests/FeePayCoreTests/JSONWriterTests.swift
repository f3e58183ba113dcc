import FeePayCore
import Foundation
import Testing

/// FeePay's one JSON writer: the bytes of an invoice stay fixed (a replayed response, a
/// webhook and a GET of the same invoice are byte-identical), and values are written as
/// Foundation's `JSONEncoder` with sorted keys writes them.
@Suite(.timeLimit(.minutes(5))) struct JSONWriterTests {
  static func invoice(payer: Payer, metadata: [String: String], paid: Bool) -> Invoice {
    Invoice(
      id: "inv_01m8m63bv5esnr37d143yx2a25", portalCode: "dvc-hcm", agencyCode: "HCM-STP",
      dossierCode: "000.00.12.H29-261129-0001", procedureCode: "1.001234", payer: payer,
      lines: [
        InvoiceLine(
          feeCode: "LPHT-01", description: "Lệ phí cấp bản sao \"trích lục\" hộ tịch \\ 2/3", quantity: 2,
          unitAmount: 8000, amount: 16000),
        InvoiceLine(feeCode: "PHI-02", description: "Phí", quantity: 1, unitAmount: 1, amount: 1),
      ],
      totalAmount: 16001, currency: .vnd, paymentCode: "FPK7M3Q9X2Z", vietQR: "000201010212…6304ABCD",
      storedStatus: paid ? .paid : .open, expiresAt: Date(timeIntervalSince1970: 1_764_640_000),
      createdAt: Date(timeIntervalSince1970: 1_764_380_800),
      paidAt: paid ? Date(timeIntervalSince1970: 1_764_390_000) : nil,
      cancelledAt: nil, receiptID: paid ? "rct_01m8m63bv5esnr37d143yx2a25" : nil, metadata: metadata)
  }

  /// The bytes of an invoice, fixed: what the API, a replay and a webhook all carry (written
  /// by `JSONEncoder` with sorted keys when this test was made, and by the direct writer since).
  static let expected = [
    #"{"agency_code":"HCM-STP","cancelled_at":null,"created_at":"2025-11-29T01:46:40Z","currency":"VND","dossier_code":"000.00.12.H29-261129-0001","expires_at":"2025-12-02T01:46:40Z","id":"inv_01m8m63bv5esnr37d143yx2a25","lines":[{"amount":16000,"description":"Lệ phí cấp bản sao \"trích lục\" hộ tịch \\ 2/3","fee_code":"LPHT-01","quantity":2,"unit_amount":8000},{"amount":1,"description":"Phí","fee_code":"PHI-02","quantity":1,"unit_amount":1}],"metadata":{},"paid_at":null,"payer":{"address":null,"email":null,"id_number":null,"name":"Nguyễn Văn An","phone":null},"payment_code":"FPK7M3Q9X2Z","payment_url":"https://feepay.example.vn/pay/FPK7M3Q9X2Z","procedure_code":"1.001234","receipt_id":null,"status":"open","total_amount":16001,"vietqr":"000201010212…6304ABCD"}"#,
    #"{"agency_code":"HCM-STP","cancelled_at":null,"created_at":"2025-11-29T01:46:40Z","currency":"VND","dossier_code":"000.00.12.H29-261129-0001","expires_at":"2025-12-02T01:46:40Z","id":"inv_01m8m63bv5esnr37d143yx2a25","lines":[{"amount":16000,"description":"Lệ phí cấp bản sao \"trích lục\" hộ tịch \\ 2/3","fee_code":"LPHT-01","quantity":2,"unit_amount":8000},{"amount":1,"description":"Phí","fee_code":"PHI-02","quantity":1,"unit_amount":1}],"metadata":{"a_b":"1","ab":"2","note":"tab\there \"quoted\" </script>","portal_ref":"A-77","z":""},"paid_at":"2025-11-29T04:20:00Z","payer":{"address":null,"email":"b@example.vn","id_number":"079123456789","name":"Trần Thị B","phone":"0901234567"},"payment_code":"FPK7M3Q9X2Z","payment_url":"https://feepay.example.vn/pay/FPK7M3Q9X2Z","procedure_code":"1.001234","receipt_id":"rct_01m8m63bv5esnr37d143yx2a25","status":"paid","total_amount":16001,"vietqr":"000201010212…6304ABCD"}"#,
  ]

  @Test func invoicesKeepTheirBytes() {
    let presenter = InvoicePresenter(publicBaseURL: "https://feepay.example.vn")
    let now = Date(timeIntervalSince1970: 1_764_400_000)
    let invoices = [
      Self.invoice(payer: Payer(name: "Nguyễn Văn An"), metadata: [:], paid: false),
      Self.invoice(
        payer: Payer(name: "Trần Thị B", idNumber: "079123456789", email: "b@example.vn", phone: "0901234567"),
        metadata: ["portal_ref": "A-77", "note": "tab\there \"quoted\" </script>", "z": "", "a_b": "1", "ab": "2"],
        paid: true),
    ]
    for (invoice, expected) in zip(invoices, Self.expected) {
      let direct = String(decoding: presenter.json(invoice, now: now), as: UTF8.self)
      #expect(direct == expected)
    }
  }

  @Test func valuesMatchTheEncoder() throws {
    let value: JSONValue = [
      "agency": "HCM-STP", "amount": 16000, "negative": -5, "ok": true, "none": .null,
      "list": [1, "two", ["three": 3], []], "nested": ["b": "x", "a": ["c": "\u{1}\u{1F}\n"]],
      "text": "Nguyễn \\ \" / 😀",
    ]
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    #expect(value.jsonBytes == Array(try encoder.encode(value)))
    #expect(try JSONValue.parse(value.jsonBytes) == value)
  }
}

@Suite(.timeLimit(.minutes(5))) struct Base64URLTests {
  /// RFC 4648 §10 test vectors in the URL alphabet without padding, and random bytes against
  /// Foundation's encoder with the alphabet swapped.
  @Test func encodesAsRFC4648Section5() {
    let vectors = [
      "": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy",
    ]
    for (text, expected) in vectors { #expect(Base64URL.encode(Array(text.utf8)) == expected) }
    var rng = SeededRandom()
    for length in 0..<64 {
      let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
      let reference = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
      #expect(Base64URL.encode(bytes) == reference)
      #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
    }
  }
}
