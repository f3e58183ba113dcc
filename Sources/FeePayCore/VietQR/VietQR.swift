/// Dynamic VietQR payloads (NAPAS, EMVCo merchant-presented mode), docs/design/protocols.md §3.
public enum VietQR {
  /// NAPAS's globally unique identifier for VietQR.
  public static let napasGUID = "A000000727"
  /// Service code: transfer to an account (as opposed to a card).
  public static let accountTransferService = "QRIBFTTA"

  public struct Error: Swift.Error, Sendable, Equatable {
    public let reason: String
  }

  /// The payload string a banking app scans. `billNumber` goes in tag 62-01 and `purpose`
  /// (folded to ASCII) in tag 62-08; the amount is fixed (point of initiation `12`).
  public static func payload(
    bankBIN: String, accountNumber: String, amount: Int64, currency: Currency = .vnd,
    billNumber: String? = nil, purpose: String? = nil
  ) throws(Error) -> String {
    guard bankBIN.utf8.count == 6, bankBIN.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
      throw Error(reason: "bank BIN must be 6 digits")
    }
    guard (1...19).contains(accountNumber.utf8.count), accountNumber.isPrintableASCII else {
      throw Error(reason: "account number must be 1-19 ASCII characters")
    }
    guard amount > 0 else { throw Error(reason: "amount must be positive") }
    let beneficiary = try field("00", bankBIN) + field("01", accountNumber)
    let merchant = try field("00", napasGUID) + field("01", beneficiary) + field("02", accountTransferService)
    var additional = ""
    if let billNumber { additional += try field("01", billNumber.asciiFolded) }
    if let purpose {
      let folded = String(purpose.asciiFolded.prefix(99 - additional.utf8.count - 4))
      if !folded.isEmpty { additional += try field("08", folded) }
    }
    var text =
      try field("00", "01") + field("01", "12") + field("38", merchant) + field("53", currency.numericCode)
      + field("54", String(amount)) + field("58", "VN")
    if !additional.isEmpty { text += try field("62", additional) }
    text += "6304"
    return text + CRC16.ccittFalseHex(Array(text.utf8))
  }

  static func field(_ tag: String, _ value: String) throws(Error) -> String {
    let length = value.utf8.count
    guard length <= 99 else { throw Error(reason: "field \(tag) is longer than 99 bytes") }
    return tag + (length < 10 ? "0" : "") + String(length) + value
  }
}

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.
public enum CRC16 {
  public static func ccittFalse(_ bytes: some Sequence<UInt8>) -> UInt16 {
    var crc: UInt16 = 0xFFFF
    for byte in bytes {
      crc ^= UInt16(byte) << 8
      for _ in 0..<8 {
        crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
      }
    }
    return crc
  }

  /// Four uppercase hex digits, zero-padded.
  public static func ccittFalseHex(_ bytes: some Sequence<UInt8>) -> String {
    let hex = String(ccittFalse(bytes), radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - hex.count) + hex
  }
}
