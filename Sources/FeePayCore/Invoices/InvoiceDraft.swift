public import Foundation

/// Limits that apply to new invoices; defaults are the API's (openapi.yaml).
public struct InvoiceRules: Sendable {
  public var maxTotal: Int64 = 1_000_000_000_000
  public var defaultLifetime: TimeInterval = 72 * 3600
  public var maxLifetime: TimeInterval = 90 * 86_400
  public var currencies: Set<Currency> = [.vnd]

  public init() {}
}

/// A validated request to create an invoice: every rule of the API (openapi.yaml) holds, text is NFC, and
/// the total fits in `Int64` and under the ceiling.
public struct InvoiceDraft: Sendable, Hashable {
  public var agencyCode: String
  public var dossierCode: String
  public var procedureCode: String
  public var payer: Payer
  public var lines: [InvoiceLine]
  public var currency: Currency
  public var expiresAt: Date
  public var metadata: [String: String]
  public var totalAmount: Int64

  /// Validates a parsed request body. Collects every problem before throwing
  /// `validation_failed` with one ``FieldError`` per bad field; a body that is not a JSON
  /// object is `malformed_request`.
  public init(json: JSONValue, now: Date, rules: InvoiceRules = InvoiceRules()) throws(FeePayError) {
    guard case .object(let body) = json else {
      throw FeePayError(.malformedRequest, "The request body must be a JSON object.")
    }
    var v = Validator()
    let agencyCode = v.code(body["agency_code"], at: "/agency_code", maxLength: 32, extra: "-_.")
    let dossierCode = v.code(body["dossier_code"], at: "/dossier_code", maxLength: 64, extra: "._/-")
    let procedureCode = v.code(body["procedure_code"], at: "/procedure_code", maxLength: 64, extra: "._/-")
    let payer = v.payer(body["payer"])
    let lines = v.lines(body["lines"])

    var currency = Currency.vnd
    if let raw = body["currency"], raw != .null {
      if let text = v.string(raw, at: "/currency") {
        if let c = Currency(rawValue: text), rules.currencies.contains(c) {
          currency = c
        } else {
          v.fail("/currency", "must be one of \(rules.currencies.map(\.rawValue).sorted().joined(separator: ", "))")
        }
      }
    }

    var expiresAt = now.addingTimeInterval(rules.defaultLifetime)
    if let raw = body["expires_at"], raw != .null, let text = v.string(raw, at: "/expires_at") {
      if let date = Timestamp.parse(text) {
        if date <= now {
          v.fail("/expires_at", "must be in the future")
        } else if date > now.addingTimeInterval(rules.maxLifetime) {
          v.fail("/expires_at", "must be at most \(Int(rules.maxLifetime / 86_400)) days ahead")
        } else {
          expiresAt = date.truncatedToMicroseconds
        }
      } else {
        v.fail("/expires_at", "must be an RFC 3339 timestamp with an offset, such as 2026-12-02T17:00:00+07:00")
      }
    }

    let metadata = v.metadata(body["metadata"])

    var total: Int64 = 0
    if let lines, v.errors.isEmpty {
      do {
        total = try MoneyMath.sum(lines.map(\.amount))
        if total > rules.maxTotal { v.fail("/lines", "the total \(total) exceeds the ceiling of \(rules.maxTotal)") }
      } catch {
        v.fail("/lines", "the total does not fit in a 64-bit integer")
      }
    }

    guard v.errors.isEmpty, let agencyCode, let dossierCode, let procedureCode, let payer, let lines else {
      throw FeePayError.validation(v.errors)
    }
    self.agencyCode = agencyCode
    self.dossierCode = dossierCode
    self.procedureCode = procedureCode
    self.payer = payer
    self.lines = lines
    self.currency = currency
    self.expiresAt = expiresAt
    self.metadata = metadata
    self.totalAmount = total
  }
}

/// Collects field errors while reading a loosely typed body.
struct Validator {
  var errors: [FieldError] = []

  mutating func fail(_ pointer: String, _ detail: String) {
    errors.append(FieldError(pointer: pointer, detail))
  }

  /// A required or optional string; reports a wrong type.
  mutating func string(_ value: JSONValue?, at pointer: String, required: Bool = true) -> String? {
    switch value {
    case .string(let s): return s
    case nil, .null?:
      if required { fail(pointer, "is required") }
      return nil
    case let other?:
      fail(pointer, "must be a string, not \(other.typeName)")
      return nil
    }
  }

  /// Free text: NFC, trimmed, no control characters, 1…`maxLength` characters.
  mutating func text(_ value: JSONValue?, at pointer: String, maxLength: Int, required: Bool = true) -> String? {
    guard let raw = string(value, at: pointer, required: required) else { return nil }
    let text = raw.nfc.trimmingCharacters(in: .whitespacesAndNewlines)
    if text.isEmpty {
      fail(pointer, "must not be empty")
      return nil
    }
    if text.containsControlCharacters {
      fail(pointer, "must not contain control characters")
      return nil
    }
    if text.count > maxLength {
      fail(pointer, "must be at most \(maxLength) characters")
      return nil
    }
    return text
  }

  /// An identifier of ASCII letters, digits and the `extra` punctuation.
  mutating func code(_ value: JSONValue?, at pointer: String, maxLength: Int, extra: String, required: Bool = true)
    -> String?
  {
    guard let text = string(value, at: pointer, required: required) else { return nil }
    let allowed = Set(extra.utf8)
    let ok =
      (1...maxLength).contains(text.utf8.count)
      && text.utf8.allSatisfy {
        ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || allowed.contains($0)
      }
    if !ok {
      fail(
        pointer,
        "must be 1-\(maxLength) characters of A-Z, a-z, 0-9 and \(extra.map { "'\($0)'" }.joined(separator: " "))")
      return nil
    }
    return text
  }

  mutating func integer(_ value: JSONValue?, at pointer: String, range: ClosedRange<Int64>) -> Int64? {
    switch value {
    case .integer(let n)?:
      if range.contains(n) { return n }
      fail(
        pointer, n < range.lowerBound ? "must be at least \(range.lowerBound)" : "must be at most \(range.upperBound)")
    case .number(let d)?:
      if d.rounded() == d, abs(d) < 9.2e18 {
        // 2.0 and 2e3 are whole numbers written another way.
        return integer(.integer(Int64(d)), at: pointer, range: range)
      }
      if d.rounded() == d || d.isInfinite {
        fail(pointer, d < 0 ? "must be at least \(range.lowerBound)" : "must be at most \(range.upperBound)")
      } else {
        fail(pointer, "must be a whole number")
      }
    case nil, .null?:
      fail(pointer, "is required")
    case let other?:
      fail(pointer, "must be an integer, not \(other.typeName)")
    }
    return nil
  }

  mutating func payer(_ value: JSONValue?) -> Payer? {
    guard case .object(let payer)? = value else {
      fail("/payer", value == nil || value == .null ? "is required" : "must be an object")
      return nil
    }
    let name = text(payer["name"], at: "/payer/name", maxLength: 200)
    let idNumber = code(payer["id_number"], at: "/payer/id_number", maxLength: 20, extra: "", required: false)
    var email: String?
    if let raw = string(payer["email"], at: "/payer/email", required: false) {
      let parts = raw.split(separator: "@", omittingEmptySubsequences: false)
      if raw.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
        raw.isPrintableASCII, !raw.contains(" ")
      {
        email = raw
      } else {
        fail("/payer/email", "must be an e-mail address")
      }
    }
    var phone: String?
    if let raw = string(payer["phone"], at: "/payer/phone", required: false) {
      let digits = raw.hasPrefix("+") ? raw.dropFirst() : Substring(raw)
      if (8...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
        phone = raw
      } else {
        fail("/payer/phone", "must be 8-15 digits, optionally after '+'")
      }
    }
    let address = text(payer["address"], at: "/payer/address", maxLength: 300, required: false)
    guard let name else { return nil }
    return Payer(name: name, idNumber: idNumber, email: email, phone: phone, address: address)
  }

  mutating func lines(_ value: JSONValue?) -> [InvoiceLine]? {
    guard case .array(let items)? = value else {
      fail("/lines", value == nil || value == .null ? "is required" : "must be an array")
      return nil
    }
    guard (1...100).contains(items.count) else {
      fail("/lines", "must have 1-100 lines")
      return nil
    }
    var lines: [InvoiceLine] = []
    for (index, item) in items.enumerated() {
      let at = "/lines/\(index)"
      guard case .object(let line) = item else {
        fail(at, "must be an object")
        continue
      }
      let feeCode = code(line["fee_code"], at: at + "/fee_code", maxLength: 32, extra: "._-")
      let description = text(line["description"], at: at + "/description", maxLength: 500)
      let quantity = integer(line["quantity"], at: at + "/quantity", range: 1...10_000)
      let unitAmount = integer(line["unit_amount"], at: at + "/unit_amount", range: 1...1_000_000_000_000)
      guard let feeCode, let description, let quantity, let unitAmount else { continue }
      guard let amount = try? MoneyMath.multiply(quantity, unitAmount) else {
        fail(at, "quantity × unit_amount does not fit in a 64-bit integer")
        continue
      }
      lines.append(
        InvoiceLine(
          feeCode: feeCode, description: description, quantity: quantity, unitAmount: unitAmount, amount: amount))
    }
    return lines.count == items.count ? lines : nil
  }

  mutating func metadata(_ value: JSONValue?) -> [String: String] {
    guard let value, value != .null else { return [:] }
    guard case .object(let members) = value else {
      fail("/metadata", "must be an object of strings")
      return [:]
    }
    if members.count > 20 { fail("/metadata", "must have at most 20 keys") }
    var result: [String: String] = [:]
    for (key, member) in members.sorted(by: { $0.key < $1.key }) {
      let at = "/metadata/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
      let normalizedKey = key.nfc
      guard (1...40).contains(normalizedKey.count), !normalizedKey.containsControlCharacters else {
        fail(at, "keys must be 1-40 characters without control characters")
        continue
      }
      guard case .string(let text) = member else {
        fail(at, "must be a string, not \(member.typeName)")
        continue
      }
      let normalized = text.nfc
      if normalized.count > 500 || normalized.containsControlCharacters {
        fail(at, "must be at most 500 characters without control characters")
        continue
      }
      result[normalizedKey] = normalized
    }
    if JSONValue.object(result.mapValues(JSONValue.string)).jsonText.utf8.count > 4096 {
      fail("/metadata", "must be at most 4 KiB when serialized")
    }
    return result
  }
}
