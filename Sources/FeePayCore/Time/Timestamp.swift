public import Foundation

/// RFC 3339 timestamps and Asia/Ho_Chi_Minh business dates, without `DateFormatter`:
/// parsing accepts any offset; formatting always answers in UTC with a `Z`.
public enum Timestamp {
  /// Vietnam's offset from UTC. Vietnam has no daylight saving time.
  public static let vietnamOffsetSeconds = 7 * 3600

  /// Parses `2026-11-29T10:15:00+07:00`, `2026-11-29T03:15:00.250Z` and the like.
  public static func parse(_ text: String) -> Date? {
    let b = Array(text.utf8)
    guard b.count >= 20 else { return nil }
    func digits(_ from: Int, _ count: Int) -> Int? {
      guard from + count <= b.count else { return nil }
      var value = 0
      for i in from..<(from + count) {
        guard b[i] >= 48 && b[i] <= 57 else { return nil }
        value = value * 10 + Int(b[i] - 48)
      }
      return value
    }
    guard let year = digits(0, 4), b[4] == 45, let month = digits(5, 2), b[7] == 45,
      let day = digits(8, 2), b[10] == 84 || b[10] == 116 || b[10] == 32,
      let hour = digits(11, 2), b[13] == 58, let minute = digits(14, 2), b[16] == 58,
      let second = digits(17, 2)
    else { return nil }
    guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
      hour < 24, minute < 60, second < 60
    else { return nil }
    var index = 19
    var fraction = 0.0
    if index < b.count && b[index] == 46 {
      index += 1
      var scale = 0.1
      let start = index
      while index < b.count && b[index] >= 48 && b[index] <= 57 {
        fraction += Double(b[index] - 48) * scale
        scale /= 10
        index += 1
      }
      guard index > start, index - start <= 9 else { return nil }
    }
    guard index < b.count else { return nil }
    var offset = 0
    switch b[index] {
    case 90, 122:  // Z z
      index += 1
    case 43, 45:  // + -
      guard let oh = digits(index + 1, 2), b.count > index + 3, b[index + 3] == 58,
        let om = digits(index + 4, 2), oh < 24, om < 60
      else { return nil }
      offset = (oh * 3600 + om * 60) * (b[index] == 45 ? -1 : 1)
      index += 6
    default:
      return nil
    }
    guard index == b.count else { return nil }
    let days = daysFromCivil(year: year, month: month, day: day)
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
    return Date(timeIntervalSince1970: Double(seconds) + fraction)
  }

  /// `2026-11-29T03:15:00Z`: UTC, whole seconds (fractions are dropped).
  public static func format(_ date: Date) -> String {
    let total = Int(date.timeIntervalSince1970.rounded(.down))
    let days = floorDiv(total, 86_400)
    let secs = total - days * 86_400
    let (y, m, d) = civilFromDays(days)
    return
      "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secs / 3600, 2)):\(pad(secs % 3600 / 60, 2)):\(pad(secs % 60, 2))Z"
  }

  static func pad(_ value: Int, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }

  static func floorDiv(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? a / b : -((-a + b - 1) / b)
  }

  static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

  static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
  static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = floorDiv(y, 400)
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
    let z = z0 + 719_468
    let era = floorDiv(z, 146_097)
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
  }
}

/// A calendar day in Asia/Ho_Chi_Minh (UTC+7): the unit of settlement statements, closing
/// and receipt years.
public struct BusinessDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
  public let year: Int
  public let month: Int
  public let day: Int

  public init?(year: Int, month: Int, day: Int) {
    guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
      day <= Timestamp.daysIn(month: month, year: year)
    else { return nil }
    self.year = year
    self.month = month
    self.day = day
  }

  /// Parses `YYYY-MM-DD`.
  public init?(_ text: String) {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
      parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
      let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
    else { return nil }
    self.init(year: y, month: m, day: d)
  }

  /// The Vietnamese calendar day on which `date` falls.
  public init(containing date: Date) {
    let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + Timestamp.vietnamOffsetSeconds
    let (y, m, d) = Timestamp.civilFromDays(Timestamp.floorDiv(seconds, 86_400))
    self.year = y
    self.month = m
    self.day = d
  }

  /// Midnight at the start of this day in Asia/Ho_Chi_Minh.
  public var start: Date {
    let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
    return Date(timeIntervalSince1970: Double(days * 86_400 - Timestamp.vietnamOffsetSeconds))
  }

  public var description: String {
    "\(Timestamp.pad(year, 4))-\(Timestamp.pad(month, 2))-\(Timestamp.pad(day, 2))"
  }

  /// The number of days from this day to `other` (negative when `other` is earlier).
  public func days(to other: BusinessDate) -> Int {
    Timestamp.daysFromCivil(year: other.year, month: other.month, day: other.day)
      - Timestamp.daysFromCivil(year: year, month: month, day: day)
  }

  /// The first day of this day's month.
  public var firstOfMonth: BusinessDate { BusinessDate(year: year, month: month, day: 1)! }

  public static func < (a: BusinessDate, b: BusinessDate) -> Bool {
    (a.year, a.month, a.day) < (b.year, b.month, b.day)
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let value = BusinessDate(text) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date"))
    }
    self = value
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

/// A wall-clock moment in Asia/Ho_Chi_Minh as an HTML `datetime-local` field writes it:
/// `YYYY-MM-DDTHH:MM`, optionally with `:SS`. Vietnam keeps UTC+7 all year.
public enum VietnamLocalTime {
  public static func parse(_ text: String) -> Date? {
    let halves = text.split(separator: "T", omittingEmptySubsequences: false)
    guard halves.count == 2, let day = BusinessDate(String(halves[0])) else { return nil }
    let clock = halves[1].split(separator: ":", omittingEmptySubsequences: false)
    guard (2...3).contains(clock.count),
      clock.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
      let h = Int(clock[0]), let m = Int(clock[1]), (0...23).contains(h), (0...59).contains(m)
    else { return nil }
    let s = clock.count == 3 ? Int(clock[2]) : 0
    guard let s, (0...59).contains(s) else { return nil }
    return day.start.addingTimeInterval(Double(h * 3600 + m * 60 + s))
  }

  /// `date` written for a `datetime-local` field, to the minute.
  public static func format(_ date: Date) -> String {
    let day = BusinessDate(containing: date)
    let seconds = Int(date.timeIntervalSince(day.start).rounded(.down))
    return "\(day)T\(Timestamp.pad(seconds / 3600, 2)):\(Timestamp.pad(seconds % 3600 / 60, 2))"
  }
}
