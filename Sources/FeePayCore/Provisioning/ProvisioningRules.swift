/// Rules for what operators type into `feepay agency add`, `portal add` and `key create`.
/// Each returns a one-line reason or `nil` when the value is acceptable.
public enum ProvisioningRules {
  static func isCodeCharacter(_ b: UInt8, extra: String) -> Bool {
    (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || extra.utf8.contains(b)
  }

  public static func agencyCode(_ s: String) -> String? {
    (2...32).contains(s.utf8.count) && s.utf8.allSatisfy({ isCodeCharacter($0, extra: "-_.") })
      ? nil : "agency code must be 2-32 characters of A-Z, a-z, 0-9, '-', '_', '.'"
  }

  public static func portalCode(_ s: String) -> String? {
    (2...32).contains(s.utf8.count) && s.utf8.allSatisfy({ isCodeCharacter($0, extra: "-_.") })
      ? nil : "portal code must be 2-32 characters of A-Z, a-z, 0-9, '-', '_', '.'"
  }

  public static func name(_ s: String) -> String? {
    let n = s.nfc
    return (1...200).contains(n.count) && !n.containsControlCharacters ? nil : "name must be 1-200 characters"
  }

  /// Vietnamese tax codes (mã số thuế): 10 digits, or 10 digits, a dash and 3 digits.
  public static func taxCode(_ s: String) -> String? {
    let parts = s.split(separator: "-", omittingEmptySubsequences: false)
    let digits = { (p: Substring) in p.allSatisfy { $0.isASCII && $0.isNumber } }
    let ok =
      (parts.count == 1 && parts[0].count == 10 && digits(parts[0]))
      || (parts.count == 2 && parts[0].count == 10 && parts[1].count == 3 && digits(parts[0]) && digits(parts[1]))
    return ok ? nil : "tax code must be 10 digits, or 10 digits, '-' and 3 digits"
  }

  public static func bankBIN(_ s: String) -> String? {
    s.utf8.count == 6 && s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) ? nil : "bank BIN must be 6 digits"
  }

  public static func accountNumber(_ s: String) -> String? {
    (1...19).contains(s.utf8.count) && s.utf8.allSatisfy({ isCodeCharacter($0, extra: "") })
      ? nil : "account number must be 1-19 letters or digits"
  }

  /// Account names as banks hold them: uppercase ASCII letters, digits and spaces.
  public static func accountName(_ s: String) -> String? {
    (1...70).contains(s.utf8.count)
      && s.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 32 })
      ? nil : "account name must be 1-70 characters of uppercase A-Z, digits and spaces, as the bank holds it"
  }

  /// The template symbols of Circular 32/2025/TT-BTC (ký hiệu mẫu biên lai điện tử, 5
  /// characters): `EBL01`, fee and charge receipts without a printed face value, and `EBL02`,
  /// with one.
  public static let receiptTemplates = ["EBL01", "EBL02"]

  public static func receiptTemplate(_ s: String) -> String? {
    receiptTemplates.contains(s)
      ? nil
      : "receipt template must be EBL01 (fee and charge receipts without a printed face value) or EBL02 (with a face value), as Circular 32/2025/TT-BTC sets them; the Circular 78/2021 forms such as '1' or '01BLP0-001' are no longer accepted"
  }

  /// The series symbol of Circular 32/2025/TT-BTC (ký hiệu biên lai, 3 characters): the
  /// year's last two digits and `T`, a series registered with the tax authority, as `26T`.
  public static func receiptSeries(_ s: String) -> String? {
    let b = Array(s.utf8)
    let ok = b.count == 3 && b[0] >= 48 && b[0] <= 57 && b[1] >= 48 && b[1] <= 57 && b[2] == UInt8(ascii: "T")
    return ok
      ? nil
      : "receipt series must be 3 characters, the year's last two digits and T (e.g. 26T), as Circular 32/2025/TT-BTC sets them; the Circular 78/2021 forms such as C26TAA are no longer accepted"
  }

  /// An agency's address as its receipts print it: 1-300 characters, no control characters.
  public static func address(_ s: String) -> String? {
    let n = s.nfc
    return (1...300).contains(n.count) && !n.containsControlCharacters ? nil : "address must be 1-300 characters"
  }

  /// A telephone number: 8-15 digits, optionally after '+', spaces and dots allowed between.
  public static func phone(_ s: String) -> String? {
    let digits = s.filter { $0 != " " && $0 != "." }
    let rest = digits.hasPrefix("+") ? digits.dropFirst() : Substring(digits)
    return (8...15).contains(rest.count) && rest.allSatisfy({ $0.isASCII && $0.isNumber }) && s.utf8.count <= 24
      ? nil : "phone must be 8-15 digits, optionally after '+'"
  }

  public static func webhookURL(_ s: String) -> String? {
    guard s.utf8.count <= 2048, s.isPrintableASCII, !s.contains(" ") else { return "webhook URL is not a valid URL" }
    guard s.hasPrefix("https://") || s.hasPrefix("http://") else {
      return "webhook URL must start with https:// or http://"
    }
    let rest = s.drop(while: { $0 != "/" }).dropFirst(2)
    return rest.isEmpty || rest.hasPrefix("/") ? "webhook URL has no host" : nil
  }
}
