import Foundation

/// A value FeePay writes as JSON (an API object, an event's data, a stored document). Each
/// has exactly one definition of its JSON, as a ``JSONValue``, and FeePay has one writer for
/// all of them (``JSONValue/jsonBytes``).
public protocol JSONRepresentable {
  var jsonValue: JSONValue { get }
}

extension JSONValue: JSONRepresentable {
  public var jsonValue: JSONValue { self }
}

extension JSONValue {
  /// Compact JSON with object members sorted by their UTF-8 bytes (for plain ASCII keys, the
  /// bytes Foundation's `JSONEncoder` writes with `.sortedKeys` and `.withoutEscapingSlashes`),
  /// written directly: the hot paths (every invoice response, event and audit entry) skip
  /// the encoder's boxing. Slashes and non-ASCII text are not escaped.
  public var jsonBytes: [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(256)
    JSONText.write(self, style: .encoder, into: &out)
    return out
  }
}

/// The one JSON text writer behind ``JSONValue/jsonBytes`` and ``CanonicalJSON``: compact,
/// members sorted, strings with only the escapes JSON requires (`\"`, `\\`, `\b`, `\f`,
/// `\n`, `\r`, `\t`, other control characters as `\u00xx`). The two differ in the key order,
/// the number format and whether string values are normalized.
enum JSONText {
  struct Style: Sendable {
    var keyPrecedes: @Sendable (String, String) -> Bool
    var number: @Sendable (Double) -> [UInt8]
    var normalizeValues: Bool

    /// FeePay's API and stored JSON.
    static let encoder = Style(
      keyPrecedes: { $0.utf8.lexicographicallyPrecedes($1.utf8) },
      // Rare (no FeePay object carries a float); Foundation's formatting is the reference.
      number: { Array((try? JSONEncoder().encode($0)) ?? Data("null".utf8)) },
      normalizeValues: false)

    /// RFC 8785's order (UTF-16 code units) and NFC string values, for signed receipts.
    static let canonical = Style(
      keyPrecedes: { Array($0.utf16).lexicographicallyPrecedes(Array($1.utf16)) },
      number: { d in Array((d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)).utf8) },
      normalizeValues: true)
  }

  static func write(_ value: JSONValue, style: Style, into out: inout [UInt8]) {
    switch value {
    case .null: out.append(contentsOf: "null".utf8)
    case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
    case .integer(let i): out.append(contentsOf: String(i).utf8)
    case .number(let d): out.append(contentsOf: style.number(d))
    case .string(let s): string(style.normalizeValues ? s.nfc : s, into: &out)
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        write(item, style: style, into: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let members):
      out.append(UInt8(ascii: "{"))
      for (i, key) in members.keys.sorted(by: style.keyPrecedes).enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        string(key, into: &out)
        out.append(UInt8(ascii: ":"))
        write(members[key]!, style: style, into: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  static func string(_ s: String, into out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for b in s.utf8 {
      switch b {
      case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
      case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
      case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
      case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
      case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
      case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
      case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
      case 0x00..<0x20:
        out.append(contentsOf: "\\u00".utf8)
        out.append(hex[Int(b >> 4)])
        out.append(hex[Int(b & 0x0F)])
      default: out.append(b)
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}

extension InvoiceObject {
  /// The invoice as the API shows it, as a JSON value (see ``JSONValue/jsonBytes``).
  public var jsonValue: JSONValue {
    func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    func time(_ d: Date?) -> JSONValue { d.map { .string(Timestamp.format($0)) } ?? .null }
    let payer: JSONValue = .object([
      "name": .string(invoice.payer.name), "id_number": text(invoice.payer.idNumber),
      "email": text(invoice.payer.email), "phone": text(invoice.payer.phone),
      "address": text(invoice.payer.address),
    ])
    let lines: JSONValue = .array(
      invoice.lines.map {
        .object([
          "fee_code": .string($0.feeCode), "description": .string($0.description), "quantity": .integer($0.quantity),
          "unit_amount": .integer($0.unitAmount), "amount": .integer($0.amount),
        ])
      })
    return .object([
      "id": .string(invoice.id), "status": .string(status.rawValue), "agency_code": .string(invoice.agencyCode),
      "dossier_code": .string(invoice.dossierCode), "procedure_code": .string(invoice.procedureCode),
      "payer": payer, "lines": lines, "total_amount": .integer(invoice.totalAmount),
      "currency": .string(invoice.currency.rawValue), "payment_code": .string(invoice.paymentCode),
      "payment_url": .string(paymentURL), "vietqr": .string(invoice.vietQR), "expires_at": time(invoice.expiresAt),
      "created_at": time(invoice.createdAt), "paid_at": time(invoice.paidAt),
      "cancelled_at": time(invoice.cancelledAt), "receipt_id": text(invoice.receiptID),
      "metadata": .object(invoice.metadata.mapValues(JSONValue.string)),
    ])
  }
}
