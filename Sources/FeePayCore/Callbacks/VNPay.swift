import Crypto
public import Foundation

/// VNPay payment gateway 2.1.0: the HMAC-SHA512 over sorted, form-encoded `vnp_*`
/// parameters that both the IPN and the payment URL carry, and the IPN's answers.
public enum VNPay {
  /// An IPN answer: `{"RspCode":"00","Message":"Confirm Success"}` and the like.
  public enum Answer: String, Sendable, JSONRepresentable {
    case confirmed = "00"
    case orderNotFound = "01"
    case alreadyConfirmed = "02"
    case invalidAmount = "04"
    case invalidSignature = "97"
    case unknownError = "99"

    public var message: String {
      switch self {
      case .confirmed: "Confirm Success"
      case .orderNotFound: "Order not found"
      case .alreadyConfirmed: "Order already confirmed"
      case .invalidAmount: "Invalid amount"
      case .invalidSignature: "Invalid signature"
      case .unknownError: "Unknown error"
      }
    }

    public var jsonValue: JSONValue { ["RspCode": .string(rawValue), "Message": .string(message)] }
  }

  /// Form-URL-encoding as VNPay's reference code does it (PHP `urlencode`): letters, digits
  /// and `-_.` stay; space becomes `+`; every other byte is `%XX` in uppercase hex.
  public static func formEncode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
        out.unicodeScalars.append(Unicode.Scalar(byte))
      case UInt8(ascii: " "):
        out.append("+")
      default:
        let hex = String(byte, radix: 16, uppercase: true)
        out += "%" + (hex.count == 1 ? "0" : "") + hex
      }
    }
    return out
  }

  /// The string that is signed: every `vnp_*` parameter except the hash fields, empty
  /// values dropped, sorted by key, `key=value` joined by `&`, keys and values form-encoded.
  public static func stringToSign(_ parameters: [(String, String)]) -> String {
    parameters
      .filter { $0.0.hasPrefix("vnp_") && $0.0 != "vnp_SecureHash" && $0.0 != "vnp_SecureHashType" && !$0.1.isEmpty }
      .sorted { $0.0 < $1.0 }
      .map { formEncode($0.0) + "=" + formEncode($0.1) }
      .joined(separator: "&")
  }

  /// Lowercase hex HMAC-SHA512 of ``stringToSign(_:)``.
  public static func secureHash(_ parameters: [(String, String)], secret: String) -> String {
    let mac = HMAC<SHA512>.authenticationCode(
      for: Array(stringToSign(parameters).utf8), using: SymmetricKey(data: Array(secret.utf8)))
    return mac.lowercaseHex
  }

  /// Whether `vnp_SecureHash` matches under any of `secrets` (constant-time). Hex case is
  /// not significant (VNPay's own .NET sample compares without case; the MAC is the same).
  /// A parameter listed twice makes the message ambiguous, so it is refused.
  public static func verify(_ parameters: [(String, String)], secrets: [String]) -> Bool {
    let keys = parameters.map(\.0)
    guard Set(keys).count == keys.count else { return false }
    guard let presented = parameters.first(where: { $0.0 == "vnp_SecureHash" })?.1.lowercased() else { return false }
    for secret in secrets
    where constantTimeEquals(Array(secureHash(parameters, secret: secret).utf8), Array(presented.utf8)) {
      return true
    }
    return false
  }

  /// `yyyyMMddHHmmss` in Vietnam's time (UTC+7).
  public static func formatDate(_ date: Date) -> String {
    let shifted = Date(timeIntervalSince1970: date.timeIntervalSince1970 + Double(Timestamp.vietnamOffsetSeconds))
    let iso = Timestamp.format(shifted)  // 2026-11-29T10:15:00Z
    return iso.filter { $0.isNumber }
  }

  public static func parseDate(_ text: String) -> Date? {
    guard text.count == 14, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    let b = Array(text)
    let iso =
      "\(String(b[0..<4]))-\(String(b[4..<6]))-\(String(b[6..<8]))T\(String(b[8..<10])):\(String(b[10..<12])):\(String(b[12..<14]))+07:00"
    return Timestamp.parse(iso)
  }

  /// `parameters` and their `vnp_SecureHash`, form-encoded as a query string: what VNPay
  /// sends (the mirror of ``verify(_:secrets:)``; `feepay bank simulate` uses it).
  public static func signedQuery(_ parameters: [(String, String)], secret: String) -> String {
    (parameters + [("vnp_SecureHash", secureHash(parameters, secret: secret))])
      .map { formEncode($0.0) + "=" + formEncode($0.1) }.joined(separator: "&")
  }

  /// The signed URL that sends a citizen to VNPay's payment page for an invoice.
  public static func paymentURL(
    gateway: String, tmnCode: String, secret: String, paymentCode: String, amount: Int64, orderInfo: String,
    returnURL: String, ipAddress: String, createdAt: Date, expiresAt: Date
  ) -> String {
    let parameters: [(String, String)] = [
      ("vnp_Version", "2.1.0"), ("vnp_Command", "pay"), ("vnp_TmnCode", tmnCode), ("vnp_Amount", String(amount * 100)),
      ("vnp_CurrCode", Currency.vnd.rawValue), ("vnp_TxnRef", paymentCode), ("vnp_OrderInfo", orderInfo.asciiFolded),
      ("vnp_OrderType", "other"), ("vnp_Locale", "vn"), ("vnp_ReturnUrl", returnURL), ("vnp_IpAddr", ipAddress),
      ("vnp_CreateDate", formatDate(createdAt)), ("vnp_ExpireDate", formatDate(expiresAt)),
    ]
    let query = stringToSign(parameters)
    return gateway + "?" + query + "&vnp_SecureHash=" + secureHash(parameters, secret: secret)
  }

  /// How long a checkout URL stays valid, at most (never past the invoice's own expiry).
  public static let checkoutLifetime: TimeInterval = 15 * 60

  /// The checkout for `invoice`: VNPay's signed payment URL, valid for 15 minutes or until the
  /// invoice expires, whichever comes first. Both the portal's API and the citizen's page
  /// make it here.
  public static func checkout(
    invoice: Invoice, gateway: String, tmnCode: String, secret: String, returnURL: String, ipAddress: String, now: Date
  ) -> (url: String, expiresAt: Date) {
    let expiresAt = min(invoice.expiresAt, now.addingTimeInterval(checkoutLifetime))
    let url = paymentURL(
      gateway: gateway, tmnCode: tmnCode, secret: secret, paymentCode: invoice.paymentCode,
      amount: invoice.totalAmount, orderInfo: "Thanh toan \(invoice.paymentCode)", returnURL: returnURL,
      ipAddress: ipAddress, createdAt: now, expiresAt: expiresAt)
    return (url, expiresAt)
  }
}
