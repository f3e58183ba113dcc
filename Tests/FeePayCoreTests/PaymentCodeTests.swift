import FeePayCore
import Testing

@Suite struct PaymentCodeTests {
  @Test(arguments: Vectors.list("payment_code_check"))
  func checkCharacterMatchesVector(_ vector: JSONValue) throws {
    let body = try #require(vector["body"]?.stringValue)
    let code = try #require(vector["code"]?.stringValue)
    let check = PaymentCode.checkCharacter(for: Array(body.utf8))
    #expect(body + String(UnicodeScalar(check)) == code)
    #expect(PaymentCode(parsing: code)?.value == code)
  }

  @Test func generatedCodesAreValidAndDistinct() {
    var seen: Set<String> = []
    for _ in 0..<2000 {
      let code = PaymentCode.generate()
      #expect(code.value.count == 11)
      #expect(code.value.hasPrefix("FP"))
      #expect(PaymentCode(parsing: code.value) == code)
      seen.insert(code.value)
    }
    #expect(seen.count == 2000)
  }

  @Test(arguments: [
    "fpk7m3q9x2z", "FPK7-M3Q9-X2Z", " FP K7M3 Q9X2Z ", "FPK7.M3Q9.X2Z", "fpk7m3q9x2z",
  ])
  func forgivingParserAcceptsMangledForms(_ text: String) {
    #expect(PaymentCode(parsing: text)?.value == "FPK7M3Q9X2Z")
  }

  @Test func lookalikeLettersMapToDigits() {
    // FP00000000 + check 4: O is read as 0.
    #expect(PaymentCode(parsing: "FPOOOOOOOO4")?.value == "FP000000004")
    #expect(PaymentCode(parsing: "fp0000oooo4")?.value == "FP000000004")
  }

  @Test(arguments: ["", "FPK7M3Q9X2", "FPK7M3Q9X2ZZ", "FPK7M3Q9X2Y", "FPK7M3Q9X2U", "FPK7M3Q9X2Z!", "ФPK7M3Q9X2Z"])
  func rejectsWrongLengthBadCheckAndForeignCharacters(_ text: String) {
    #expect(PaymentCode(parsing: text) == nil)
  }

  @Test func everySingleCharacterTypoIsRejected() {
    let code = Array("FPK7M3Q9X2Z".utf8)
    for position in 0..<code.count {
      for replacement in PaymentCode.alphabet where replacement != code[position] {
        var typo = code
        typo[position] = replacement
        #expect(PaymentCode(parsing: String(decoding: typo, as: UTF8.self)) == nil)
      }
    }
  }

  @Test func everyAdjacentTranspositionIsRejected() {
    let code = Array("FPK7M3Q9X2Z".utf8)
    for i in 0..<(code.count - 1) where code[i] != code[i + 1] {
      var typo = code
      typo.swapAt(i, i + 1)
      #expect(PaymentCode(parsing: String(decoding: typo, as: UTF8.self)) == nil)
    }
  }

  @Test(arguments: [
    ("FPK7M3Q9X2Z nop le phi", "FPK7M3Q9X2Z"),
    ("NGUYEN VAN AN CHUYEN TIEN fpk7m3q9x2z", "FPK7M3Q9X2Z"),
    ("ND: FP-K7M3-Q9X2Z thanh toan", "FPK7M3Q9X2Z"),
    ("fp k7m3 q9x2z", "FPK7M3Q9X2Z"),
    ("MBVCB.123456.FPK7M3Q9X2Z.le phi", "FPK7M3Q9X2Z"),
  ])
  func findsCodesInBankMemos(_ memo: String, _ expected: String) {
    #expect(PaymentCode.find(inMemo: memo)?.value == expected)
  }

  @Test(arguments: [
    "chuyen tien le phi", "FPK7M3Q9X2Y nop le phi", "", "FPK7M3Q9X2Z FP1234ABCDE two codes",
  ])
  func memoWithoutExactlyOneValidCodeFindsNothing(_ memo: String) {
    #expect(PaymentCode.find(inMemo: memo) == nil)
  }
}
