public import Foundation

/// A person who works in the console: an accountant, an auditor or an administrator.
public struct StaffMember: Sendable, Hashable {
  public enum Status: String, Sendable {
    /// Added; has not yet set a password and enrolled an authenticator.
    case enrolling
    case active
    /// May no longer sign in; their sessions were ended.
    case disabled
  }

  public var id: String
  public var email: String
  public var name: String
  public var role: Role
  /// The agencies whose money this person sees; empty means every agency.
  public var agencies: Set<String>
  public var status: Status
  public var createdAt: Date

  public init(
    id: String, email: String, name: String, role: Role, agencies: Set<String>, status: Status, createdAt: Date
  ) {
    self.id = id
    self.email = email
    self.name = name
    self.role = role
    self.agencies = agencies
    self.status = status
    self.createdAt = createdAt
  }

  /// The roles a person may hold (portals are machines).
  public static let roles: Set<Role> = [.accountant, .auditor, .admin]

  /// Whether this person may see an object of `agency` (`nil`: an object of no agency yet,
  /// such as a bank line that matched no invoice, which only unrestricted people see).
  public func sees(agency: String?) -> Bool {
    guard !agencies.isEmpty else { return true }
    return agency.map(agencies.contains) ?? false
  }

  /// The principal the stores audit: the person's role and email, in place of a key.
  public var principal: Principal {
    Principal(keyID: id, keyPrefix: id, role: role, portalCode: nil, agencies: agencies, person: email)
  }

  /// Whether an email address is written as FeePay stores it: lowercase, one `@` with text
  /// either side, no spaces, at most 254 characters.
  public static func isWellFormed(email: String) -> Bool {
    let parts = email.split(separator: "@", omittingEmptySubsequences: false)
    return email.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
      && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && email == email.lowercased()
      && !email.contains(where: { $0.isWhitespace || $0.isNewline })
  }
}

/// The rules a console password must meet (NIST SP 800-63B's: length over composition, and
/// never a password attackers try first).
public enum PasswordPolicy {
  public static let minimumLength = 12
  /// bcrypt reads at most 72 bytes; a longer password would be cut silently.
  public static let maximumBytes = 72

  public enum Refusal: Error, Sendable, Equatable {
    case tooShort(minimum: Int)
    case tooLong(maximumBytes: Int)
    /// On the shipped list of common passwords, or one of them with digits or symbols added.
    case common
    /// Contains the person's email name or their name.
    case personal
    /// One character repeated, or a run such as `abcdefghijkl`.
    case pattern
  }

  /// `nil` when `password` may be used by the person with this email and name.
  public static func refusal(_ password: String, email: String, name: String) -> Refusal? {
    if password.count < minimumLength { return .tooShort(minimum: minimumLength) }
    if password.utf8.count > maximumBytes { return .tooLong(maximumBytes: maximumBytes) }
    let lower = password.lowercased()
    let stripped = String(lower.reversed().drop { !$0.isLetter }.reversed()).drop { !$0.isLetter }
    if common.contains(lower) || (stripped.count >= 8 && common.contains(String(stripped))) { return .common }
    let local = email.split(separator: "@").first.map { $0.lowercased() } ?? ""
    let words = [local] + name.lowercased().split(separator: " ").map(String.init)
    if words.contains(where: { $0.count >= 4 && lower.contains($0) }) { return .personal }
    let scalars = Array(lower.unicodeScalars.map(\.value))
    let steps = Set(zip(scalars, scalars.dropFirst()).map { Int64($1) - Int64($0) })
    if steps.count == 1, let step = steps.first, abs(step) <= 1 { return .pattern }
    return nil
  }

  /// The shipped list (`Resources/common-passwords.txt`, which names its source).
  static let common: Set<String> = {
    let text = String(decoding: PackageResources.common_passwords_txt, as: UTF8.self)
    return Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init))
  }()
}

/// What `feepay staff add` and `feepay staff reset` make: the one-time enrolment link's token
/// (printed once; FeePay keeps its SHA-256) and the person's new TOTP secret (kept sealed,
/// shown on the enrolment page as an `otpauth://` QR code).
public struct StaffEnrolment: Sendable {
  /// How long an enrolment link works.
  public static let lifetime: TimeInterval = 24 * 3600

  public let token: String
  public let tokenHash: [UInt8]
  /// 20 characters (120 random bits) whose UTF-8 bytes are the HMAC key, as HummingbirdOTP
  /// reads it; authenticator apps get them in base32.
  public let totpSecret: String

  public init() {
    token = Base64URL.encode(randomBytes(32))
    tokenHash = NewAPIKey.sha256(token)
    totpSecret = Base64URL.encode(randomBytes(15))
  }

  /// The binding of a person's sealed TOTP secret to its row.
  public static func sealContext(staffID: String) -> String { "staff:\(staffID):totp" }
}
