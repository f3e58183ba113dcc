/// Amounts in Vietnamese words, as a receipt states its total ("Mười sáu nghìn đồng").
///
/// Conventions (both are correct Vietnamese; FeePay uses the first of each pair everywhere):
/// * a zero tens digit before a non-zero unit inside a group is "linh" (not "lẻ"):
///   105 → "một trăm linh năm";
/// * a unit 4 after a tens word of twenty or more is "tư" (not "bốn"): 24 → "hai mươi tư";
/// * otherwise: 1 after twenty or more is "mốt", 5 after a tens word is "lăm", 10 is "mười";
/// * an inner group below 100 says its hundreds ("không trăm"): 2 050 000 → "hai triệu không
///   trăm năm mươi nghìn"; groups that are all zero are skipped; above 10^9 "tỷ" repeats.
public enum AmountInWords {
  static let digits = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
  static let units = ["", "nghìn", "triệu"]

  /// The amount in words with the currency, sentence case: "Một triệu năm trăm nghìn đồng".
  public static func vietnamese(_ amount: Int64, currency: String = "đồng") -> String {
    let words = amount < 0 ? "âm " + spell(amount.magnitude) : spell(amount.magnitude)
    return (words.prefix(1).uppercased() + words.dropFirst()) + " " + currency
  }

  static func spell(_ n: UInt64) -> String {
    if n == 0 { return "không" }
    let billion: UInt64 = 1_000_000_000
    if n >= billion {
      let high = spell(n / billion) + " tỷ"
      let low = n % billion
      return low == 0 ? high : high + " " + spellBelowBillion(low, full: true)
    }
    return spellBelowBillion(n, full: false)
  }

  /// Up to three groups of three digits; `full` when a higher group precedes it.
  static func spellBelowBillion(_ n: UInt64, full: Bool) -> String {
    let groups = [Int(n / 1_000_000 % 1000), Int(n / 1000 % 1000), Int(n % 1000)]
    var parts: [String] = []
    var seenHigher = full
    for (index, group) in groups.enumerated() {
      if group == 0 { continue }
      let scale = units[2 - index]
      parts.append(spellGroup(group, full: seenHigher) + (scale.isEmpty ? "" : " " + scale))
      seenHigher = true
    }
    return parts.joined(separator: " ")
  }

  /// One group of three digits. `full`: a higher group precedes, so "không trăm" and
  /// "linh" are said even when the hundreds digit is zero.
  static func spellGroup(_ n: Int, full: Bool) -> String {
    let hundreds = n / 100
    let tens = n / 10 % 10
    let unit = n % 10
    var words: [String] = []
    if hundreds > 0 || full { words += [digits[hundreds], "trăm"] }
    switch tens {
    case 0:
      if unit > 0 {
        if !words.isEmpty { words.append("linh") }
        words.append(digits[unit])
      }
    case 1:
      words.append("mười")
      if unit == 5 { words.append("lăm") } else if unit > 0 { words.append(digits[unit]) }
    default:
      words += [digits[tens], "mươi"]
      switch unit {
      case 0: break
      case 1: words.append("mốt")
      case 4: words.append("tư")
      case 5: words.append("lăm")
      default: words.append(digits[unit])
      }
    }
    return words.joined(separator: " ")
  }
}
