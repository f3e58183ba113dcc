import Crypto
public import Foundation

/// Standard Webhooks v1 (github.com/standard-webhooks): `v1` HMAC-SHA256 with a `whsec_`
/// secret, `v1a` Ed25519 with a `whpk_` public key, over `id.timestamp.body`. Verification
/// works on the raw body bytes, before anything parses them.
public enum StandardWebhooks {
  /// Why a message was refused. Never carries key material.
  public enum Refusal: String, Error, Sendable {
    case missingHeaders = "missing webhook-id, webhook-timestamp or webhook-signature"
    case badTimestamp = "webhook-timestamp is not a Unix time in seconds"
    case staleTimestamp = "webhook-timestamp is outside the ±300 s window"
    case noMatchingSignature = "no signature of this connector's scheme verifies"
  }

  /// How far a message's timestamp may be from FeePay's clock.
  public static let tolerance: TimeInterval = 300

  /// The key material a connector verifies with.
  public enum Verifier: Sendable {
    /// HMAC secrets (raw bytes): the current one and, during rotation, the previous.
    case hmac([[UInt8]])
    /// Ed25519 public keys (raw 32 bytes).
    case ed25519([[UInt8]])
  }

  /// Decodes `whsec_<base64>` to the HMAC key bytes.
  public static func secretBytes(_ secret: String) -> [UInt8]? {
    let text = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
    guard let data = Data(base64Encoded: text), data.count >= 16 else { return nil }
    return Array(data)
  }

  /// Decodes `whpk_<base64>` (or `whsk_` for a signing key) to its 32 bytes.
  public static func keyBytes(_ key: String, prefix: String) -> [UInt8]? {
    guard key.hasPrefix(prefix), let data = Data(base64Encoded: String(key.dropFirst(prefix.count))), data.count == 32
    else { return nil }
    return Array(data)
  }

  static func signedContent(id: String, timestamp: String, body: some Collection<UInt8>) -> [UInt8] {
    Array("\(id).\(timestamp).".utf8) + Array(body)
  }

  /// `v1,<base64 HMAC-SHA256>`.
  public static func signHMAC(secret: [UInt8], id: String, timestamp: String, body: some Collection<UInt8>) -> String {
    let mac = HMAC<SHA256>.authenticationCode(
      for: signedContent(id: id, timestamp: timestamp, body: body), using: SymmetricKey(data: secret))
    return "v1," + Data(mac).base64EncodedString()
  }

  /// `v1a,<base64 Ed25519 signature>`.
  public static func signEd25519(privateKey: [UInt8], id: String, timestamp: String, body: some Collection<UInt8>)
    throws -> String
  {
    let key = try Curve25519.Signing.PrivateKey(rawRepresentation: privateKey)
    let signature = try key.signature(for: signedContent(id: id, timestamp: timestamp, body: body))
    return "v1a," + signature.base64EncodedString()
  }

  /// Checks headers and raw body against the connector's keys. Only signatures of the
  /// connector's own scheme count (`v1` for HMAC, `v1a` for Ed25519); any one that verifies
  /// is enough (several may be listed during a key rotation).
  public static func verify(
    id: String?, timestamp: String?, signatures: String?, body: some Collection<UInt8>, verifier: Verifier, now: Date
  ) throws(Refusal) {
    guard let id, let timestamp, let signatures, !id.isEmpty, !signatures.isEmpty else { throw .missingHeaders }
    guard timestamp.utf8.count <= 12, timestamp.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
      let seconds = Int64(timestamp)
    else { throw .badTimestamp }
    guard abs(Double(seconds) - now.timeIntervalSince1970) <= tolerance else { throw .staleTimestamp }
    let content = signedContent(id: id, timestamp: timestamp, body: body)
    for entry in signatures.split(separator: " ") {
      let parts = entry.split(separator: ",", maxSplits: 1)
      guard parts.count == 2, let signature = Data(base64Encoded: String(parts[1])) else { continue }
      switch (parts[0], verifier) {
      case ("v1", .hmac(let secrets)):
        for secret in secrets {
          let expected = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: secret))
          if constantTimeEquals(Array(expected), Array(signature)) { return }
        }
      case ("v1a", .ed25519(let keys)):
        for raw in keys {
          if let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw),
            key.isValidSignature(signature, for: content)
          {
            return
          }
        }
      default:
        continue
      }
    }
    throw .noMatchingSignature
  }
}
