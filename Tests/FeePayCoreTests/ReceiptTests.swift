import FeePayCore
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct AmountInWordsTests {
  @Test(arguments: Vectors.list("amount_in_words_vi"))
  func vector(_ v: JSONValue) throws {
    let amount = try #require(v["amount"]?.intValue)
    #expect(AmountInWords.vietnamese(amount) == v["words"]?.stringValue)
  }

  @Test(arguments: [
    (105, "Một trăm linh năm đồng"), (24, "Hai mươi tư đồng"), (14, "Mười bốn đồng"), (11, "Mười một đồng"),
    (1_000_001, "Một triệu không trăm linh một đồng"), (1_001_000, "Một triệu không trăm linh một nghìn đồng"),
    (20_000, "Hai mươi nghìn đồng"), (1_000_000_000_000, "Một nghìn tỷ đồng"),
    (2_500_000_015, "Hai tỷ năm trăm triệu không trăm mười lăm đồng"),
    (999_999_999, "Chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng"),
  ])
  func conventions(_ amount: Int64, _ words: String) {
    #expect(AmountInWords.vietnamese(amount) == words)
  }
}

@Suite(.timeLimit(.minutes(5))) struct JWSTests {
  @Test(arguments: Vectors.list("jws_eddsa"))
  func rfc8037Vector(_ v: JSONValue) throws {
    let d = try #require(v["jwk"]?["d"]?.stringValue.flatMap(Base64URL.decode))
    let x = try #require(v["jwk"]?["x"]?.stringValue.flatMap(Base64URL.decode))
    let header = Array(try #require(v["protected"]?.stringValue).utf8)
    let payload = Array(try #require(v["payload"]?.stringValue).utf8)
    let jws = try JWS.sign(payload: payload, protectedHeader: header, privateKey: d)
    #expect(jws == v["jws"]?.stringValue)
    let parsed = try JWS.parse(jws)
    #expect(parsed.payload == payload)
    try JWS.verify(parsed, publicKey: x)
    var bytes = Array(jws.utf8)
    bytes[bytes.count / 2] = bytes[bytes.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
    #expect(throws: JWS.Failure.self) {
      try JWS.verify(try JWS.parse(String(decoding: bytes, as: UTF8.self)), publicKey: x)
    }
    #expect(throws: JWS.Failure.malformed) { try JWS.parse("a.b") }
  }

  @Test func canonicalJSONIsSortedCompactAndNFC() {
    let value: JSONValue = [
      "b": 1, "a": ["y": "x\"\\\n", "x": .null], "c": [true, false], "d": .string("Nguye\u{0302}\u{0303}n"),
    ]
    // Bytes, not Strings: Swift's == treats composed and decomposed text as equal.
    #expect(
      CanonicalJSON.serialize(value)
        == Array("{\"a\":{\"x\":null,\"y\":\"x\\\"\\\\\\n\"},\"b\":1,\"c\":[true,false],\"d\":\"Nguy\u{1EC5}n\"}".utf8))
  }

  @Test func seriesCarryTheYear() {
    #expect(ReceiptNumbering.series(from: "26T", year: 2027) == "27T")
    #expect(ReceiptNumbering.series(from: "26T", year: 2100) == "00T")
    // Receipts issued before Circular 32/2025's symbols keep the old form's year digits.
    #expect(ReceiptNumbering.series(from: "C26TAA", year: 2027) == "C27TAA")
    #expect(ReceiptNumbering.yearDigits(of: "26T") == "26")
    #expect(ReceiptNumbering.yearDigits(of: "C27TAA") == "27")
  }

  @Test func onlyTheSymbolsOfCircular32Of2025AreAccepted() {
    #expect(ProvisioningRules.receiptTemplate("EBL01") == nil)
    #expect(ProvisioningRules.receiptTemplate("EBL02") == nil)
    #expect(ProvisioningRules.receiptSeries("26T") == nil)
    for old in ["1", "01BLP0-001", "EBL03", "ebl01", ""] {
      #expect(ProvisioningRules.receiptTemplate(old)?.contains("Circular 32/2025/TT-BTC") == true, "\(old)")
    }
    for old in ["C26TAA", "26", "26TA", "2T6", "26t", "AAT"] {
      #expect(ProvisioningRules.receiptSeries(old)?.contains("Circular 32/2025/TT-BTC") == true, "\(old)")
    }
    #expect(ReceiptNumbering.format(1) == "0000001")
    #expect(ReceiptNumbering.format(1_234_567) == "1234567")
  }
}

@Suite(.timeLimit(.minutes(5))) struct ReceiptCorrectionTests {
  @Test func aCorrectionIsTrimmedAndNormalised() throws {
    let decomposed = "Nguye\u{0302}\u{0303}n Thi\u{0323} Ha\u{0300}"
    let c = try ReceiptCorrection.check(
      reason: "  Sai tên  ", payerName: " \(decomposed) ", payerIDNumber: "079123456789"
    )
    .get()
    #expect(c.reason == "Sai tên")
    #expect(Array(c.payerName.utf8) == Array("Nguyễn Thị Hà".utf8))
    #expect(c.payerIDNumber == "079123456789")
  }

  @Test(
    arguments: [
      (nil, "Hà", nil, [ReceiptCorrection.Refusal.reason]),
      (" ", "Hà", nil, [.reason]),
      (String(repeating: "x", count: 501), "Hà", nil, [.reason]),
      ("Sai tên", "", nil, [.payerName]),
      ("Sai tên", "Hà\u{7}", nil, [.payerName]),
      ("Sai tên", String(repeating: "a", count: 201), nil, [.payerName]),
      ("Sai tên", "Hà", "", [.payerIDNumber]),
      ("Sai tên", "Hà", "079-123", [.payerIDNumber]),
      ("Sai tên", "Hà", String(repeating: "1", count: 21), [.payerIDNumber]),
      (nil, nil, "số", [.reason, .payerName, .payerIDNumber]),
    ] as [(String?, String?, String?, [ReceiptCorrection.Refusal])])
  func everyRefusedPartIsNamed(
    _ reason: String?, _ name: String?, _ id: String?, _ refused: [ReceiptCorrection.Refusal]
  ) {
    #expect(throws: ReceiptCorrection.Refusals(parts: refused)) {
      try ReceiptCorrection.check(reason: reason, payerName: name, payerIDNumber: id).get()
    }
  }
}
