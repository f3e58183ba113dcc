public import Foundation

/// When to try a webhook delivery again: after the n-th failed attempt, wait `delays[n-1]`
/// (or what the portal's `retry-after` asks, if longer); after the last, give up.
public struct RetrySchedule: Sendable, Equatable {
  public var delays: [TimeInterval]

  /// About 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (Standard Webhooks' suggestion).
  public static let standard = RetrySchedule(delays: [5, 300, 1800, 7200, 18_000, 36_000, 36_000])

  public init(delays: [TimeInterval]) { self.delays = delays }

  /// Parses `5s,5m,30m,2h` (units s, m, h; a bare number is seconds).
  public init?(parsing text: String) {
    var delays: [TimeInterval] = []
    for part in text.split(separator: ",") {
      let p = part.trimmingCharacters(in: .whitespaces)
      let unit: TimeInterval
      var number = Substring(p)
      switch p.last {
      case "s": unit = 1; number = number.dropLast()
      case "m": unit = 60; number = number.dropLast()
      case "h": unit = 3600; number = number.dropLast()
      default: unit = 1
      }
      guard let value = Double(number), value >= 0, value.isFinite else { return nil }
      delays.append(value * unit)
    }
    guard !delays.isEmpty else { return nil }
    self.delays = delays
  }

  /// Attempts in all: the first and one per delay.
  public var maxAttempts: Int { delays.count + 1 }

  /// When to try again after `attempts` failed attempts, or `nil` to give up.
  public func nextAttempt(after attempts: Int, now: Date, retryAfter: TimeInterval? = nil) -> Date? {
    guard attempts >= 1, attempts <= delays.count else { return nil }
    return now.addingTimeInterval(max(delays[attempts - 1], min(retryAfter ?? 0, 86_400)))
  }

  /// Reads a `retry-after` header: delta seconds or an HTTP date.
  public static func retryAfter(_ value: String?, now: Date) -> TimeInterval? {
    guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
    if let seconds = Int(value), seconds >= 0 { return TimeInterval(seconds) }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    guard let date = formatter.date(from: value) else { return nil }
    return max(0, date.timeIntervalSince(now))
  }
}
