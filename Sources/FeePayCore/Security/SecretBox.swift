import Crypto
import Foundation

/// Encrypts secrets that FeePay must keep in usable form (webhook secrets, HMAC keys of
/// connectors, receipt signing keys) under a 32-byte master key with AES-256-GCM. Each
/// sealed value is bound to a context string (for example `portal:dvc-hcm:webhook`), so
/// a ciphertext copied to another row does not open. A database dump alone reveals nothing.
public struct SecretBox: Sendable {
  private let key: SymmetricKey
  static let version: UInt8 = 1

  public struct Error: Swift.Error, Sendable, CustomStringConvertible {
    public let description: String
  }

  /// A master key from its base64 text (32 bytes).
  public init(base64 text: String) throws(Error) {
    guard let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32
    else { throw Error(description: "the master key must be 32 bytes in base64") }
    key = SymmetricKey(data: bytes)
  }

  /// A new random master key, as base64 text.
  public static func generateMasterKey() -> String { Data(randomBytes(32)).base64EncodedString() }

  public func seal(_ plaintext: String, context: String) -> [UInt8] {
    // AES.GCM.seal only fails for invalid nonce sizes; the default nonce is valid.
    let box = try! AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: Data(context.utf8))
    return [Self.version] + Array(box.combined!)
  }

  public func open(_ sealed: [UInt8], context: String) throws(Error) -> String {
    guard sealed.first == Self.version else { throw Error(description: "unknown sealed-secret version") }
    do {
      let box = try AES.GCM.SealedBox(combined: Data(sealed.dropFirst()))
      let data = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
      return String(decoding: data, as: UTF8.self)
    } catch {
      throw Error(description: "a stored secret does not open with this master key (wrong FEEPAY_MASTER_KEY?)")
    }
  }
}
