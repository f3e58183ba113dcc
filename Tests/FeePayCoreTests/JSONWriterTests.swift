import FeePayCore
import Foundation
import Testing

/// The direct JSON writer must give the very bytes FeePay's `JSONEncoder` settings give: a
/// replayed response, a webhook and a GET of the same invoice stay byte-identical whichever
/// path wrote them.
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

  @Test func invoicesMatchTheEncoderByteForByte() {
    let presenter = InvoicePresenter(publicBaseURL: "https://feepay.example.vn")
    let now = Date(timeIntervalSince1970: 1_764_400_000)
    for invoice in [
      Self.invoice(payer: Payer(name: "Nguyễn Văn An"), metadata: [:], paid: false),
      Self.invoice(
        payer: Payer(name: "Trần Thị B", idNumber: "079123456789", email: "b@example.vn", phone: "0901234567"),
        metadata: ["portal_ref": "A-77", "note": "tab\there \"quoted\" </script>", "z": "", "a_b": "1", "ab": "2"],
        paid: true),
    ] {
      let direct = presenter.json(invoice, now: now)
      let encoded = JSONOutput.encode(presenter.object(invoice, now: now))
      #expect(
        direct == encoded, "\(String(decoding: direct, as: UTF8.self))\n\(String(decoding: encoded, as: UTF8.self))")
    }
  }

  @Test func valuesMatchTheEncoder() throws {
    let value: JSONValue = [
      "agency": "HCM-STP", "amount": 16000, "negative": -5, "ok": true, "none": .null,
      "list": [1, "two", ["three": 3], []], "nested": ["b": "x", "a": ["c": "\u{1}\u{1F}\n"]],
      "text": "Nguyễn \\ \" / 😀",
    ]
    #expect(value.jsonBytes == JSONOutput.encode(value))
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
