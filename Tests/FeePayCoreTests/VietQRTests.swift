import FeePayCore
import Testing

@Suite(.timeLimit(.minutes(5))) struct VietQRTests {
  @Test(arguments: Vectors.list("vietqr"))
  func payloadMatchesVectorByteForByte(_ vector: JSONValue) throws {
    let payload = try VietQR.payload(
      bankBIN: try #require(vector["bank_bin"]?.stringValue),
      accountNumber: try #require(vector["account_number"]?.stringValue),
      amount: try #require(vector["amount"]?.intValue),
      billNumber: vector["bill_number"]?.stringValue,
      purpose: vector["purpose"]?.stringValue)
    #expect(payload == vector["payload"]?.stringValue)
  }

  @Test(arguments: Vectors.list("crc16_ccitt_false"))
  func crcMatchesVector(_ vector: JSONValue) throws {
    let input = try #require(vector["input"]?.stringValue)
    #expect(CRC16.ccittFalseHex(Array(input.utf8)) == vector["crc"]?.stringValue)
  }

  @Test func crcIsZeroPaddedUppercaseHex() {
    for text in ["", "a", "0002010102", "VietQR"] {
      let hex = CRC16.ccittFalseHex(Array(text.utf8))
      #expect(hex.count == 4)
      #expect(hex == hex.uppercased())
    }
  }

  @Test func purposeIsFoldedToASCII() throws {
    let payload = try VietQR.payload(
      bankBIN: "970436", accountNumber: "0071000123456", amount: 16000, billNumber: "FPK7M3Q9X2Z",
      purpose: "Nộp lệ phí đăng ký")
    #expect(payload.contains("Nop le phi dang ky"))
    #expect(payload.utf8.allSatisfy { $0 < 0x80 })
    let body = String(payload.dropLast(4))
    #expect(CRC16.ccittFalseHex(Array(body.utf8)) == String(payload.suffix(4)))
  }

  @Test func rejectsBadBankData() {
    #expect(throws: VietQR.Error.self) { try VietQR.payload(bankBIN: "97043", accountNumber: "1", amount: 1) }
    #expect(throws: VietQR.Error.self) { try VietQR.payload(bankBIN: "970436", accountNumber: "", amount: 1) }
    #expect(throws: VietQR.Error.self) { try VietQR.payload(bankBIN: "970436", accountNumber: "1", amount: 0) }
  }
}
