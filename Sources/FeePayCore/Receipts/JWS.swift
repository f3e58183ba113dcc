import Crypto
import Foundation

/// Compact JWS with EdDSA (Ed25519), RFC 7515 and RFC 8037.
public enum JWS {
  public enum Failure: String, Error, Sendable {
    case malformed = "not a compact JWS"
    case unsupportedAlgorithm = "the algorithm is not EdDSA"
    case unknownKey = "signed by a key FeePay does not know"
    case badSignature = "the signature does not match the content"
  }

  /// Signs `payload` under the given protected header (its exact bytes are signed).
  public static func sign(payload: [UInt8], protectedHeader: [UInt8], privateKey: [UInt8]) throws -> String {
    let key = try Curve25519.Signing.PrivateKey(rawRepresentation: privateKey)
    let input = Base64URL.encode(protectedHeader) + "." + Base64URL.encode(payload)
    let signature = try key.signature(for: Array(input.utf8))
    return input + "." + Base64URL.encode(Array(signature))
  }

  /// Signs with the header `{"alg":"EdDSA","kid":…,"typ":…}` in canonical form.
  public static func sign(payload: [UInt8], kid: String, type: String, privateKey: [UInt8]) throws -> String {
    let header = CanonicalJSON.serialize(.object(["alg": .string("EdDSA"), "kid": .string(kid), "typ": .string(type)]))
    return try sign(payload: payload, protectedHeader: header, privateKey: privateKey)
  }

  /// The parts of a compact JWS, before its signature is checked.
  public struct Parsed: Sendable {
    public var header: JSONValue
    public var payload: [UInt8]
    public var kid: String?
    let signingInput: [UInt8]
    let signature: [UInt8]
  }

  public static func parse(_ compact: String) throws(Failure) -> Parsed {
    let parts = compact.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, let h = Base64URL.decode(String(parts[0])), let p = Base64URL.decode(String(parts[1])),
      let s = Base64URL.decode(String(parts[2])), let header = try? JSONValue.parse(h)
    else { throw .malformed }
    guard header["alg"]?.stringValue == "EdDSA" else { throw .unsupportedAlgorithm }
    return Parsed(
      header: header, payload: p, kid: header["kid"]?.stringValue, signingInput: Array("\(parts[0]).\(parts[1])".utf8),
      signature: s)
  }

  /// Checks the signature with the raw Ed25519 public key.
  public static func verify(_ parsed: Parsed, publicKey: [UInt8]) throws(Failure) {
    guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey),
      key.isValidSignature(parsed.signature, for: parsed.signingInput)
    else { throw .badSignature }
  }

  /// A JWK for an Ed25519 public key (RFC 8037).
  public static func jwk(kid: String, publicKey: [UInt8]) -> JSONValue {
    [
      "kty": "OKP", "crv": "Ed25519", "x": .string(Base64URL.encode(publicKey)), "kid": .string(kid), "use": "sig",
      "alg": "EdDSA",
    ]
  }
}
