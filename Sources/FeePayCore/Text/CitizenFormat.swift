public import Foundation

/// How citizen-facing pages write money, times and names, as Vietnamese readers expect.
public enum CitizenFormat {
  /// `26.000 ₫`: dots between thousands, the đồng sign after a no-break space.
  public static func money(_ amount: Int64) -> String {
    let digits = Array(String(amount.magnitude))
    var out = amount < 0 ? "-" : ""
    for (i, d) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(".") }
      out.append(d)
    }
    return out + "\u{00A0}₫"
  }

  /// `12:07, 05/12/2026`: the wall-clock time and date in Asia/Ho_Chi_Minh (UTC+7, no DST).
  public static func vietnamTime(_ date: Date) -> String {
    let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + Timestamp.vietnamOffsetSeconds
    let days = Timestamp.floorDiv(seconds, 86_400)
    let (y, m, d) = Timestamp.civilFromDays(days)
    let secondOfDay = seconds - days * 86_400
    return
      "\(Timestamp.pad(secondOfDay / 3600, 2)):\(Timestamp.pad(secondOfDay % 3600 / 60, 2)), \(Timestamp.pad(d, 2))/\(Timestamp.pad(m, 2))/\(Timestamp.pad(y, 4))"
  }

  /// `Nguyễn V. A.` for `Nguyễn Văn An`: the family name, then each other name's initial, so a
  /// page reached by a forwarded link tells the payer it is theirs without telling a stranger
  /// who they are. A one-word name keeps only its first letter.
  public static func maskedName(_ name: String) -> String {
    let words = name.nfc.split(whereSeparator: \.isWhitespace)
    guard let first = words.first else { return "" }
    guard words.count > 1 else { return "\(first.prefix(1))." }
    return ([String(first)] + words.dropFirst().map { "\($0.prefix(1))." }).joined(separator: " ")
  }
}

/// The banks of the NAPAS network by BIN (bank identification number), as shipped in
/// `banks.json`: short and full Vietnamese names, so a page says "Vietcombank" and not "970436".
public struct BankDirectory: Sendable {
  public struct Bank: Sendable, Equatable {
    public let bin: String
    public let shortName: String
    public let name: String
  }

  public let source: String
  private let byBIN: [String: Bank]

  /// Reads the list's JSON (`{"source": …, "banks": [{"bin", "short_name", "name", …}]}`).
  /// Entries without a BIN are skipped; a deprecated entry never hides a current one.
  public init(json bytes: [UInt8]) throws {
    let root = try JSONValue.parse(bytes)
    guard let banks = root["banks"]?.arrayValue, !banks.isEmpty else {
      throw FeePayError(.configuration, "the bank list has no banks")
    }
    source = root["source"]?.stringValue ?? ""
    var byBIN: [String: Bank] = [:]
    for entry in banks {
      guard let bin = entry["bin"]?.stringValue, bin.utf8.count == 6,
        let short = entry["short_name"]?.stringValue, let name = entry["name"]?.stringValue
      else { continue }
      let deprecated = entry["deprecated"] == .bool(true)
      if deprecated && byBIN[bin] != nil { continue }
      byBIN[bin] = Bank(bin: bin, shortName: short, name: name)
    }
    self.byBIN = byBIN
  }

  public subscript(bin: String) -> Bank? { byBIN[bin] }
  public var count: Int { byBIN.count }
}
