public import Foundation
import Synchronization

/// The one source of "now" in FeePay. Everything that reads the time takes a clock, so that
/// tests can fix and advance it.
public protocol WallClock: Sendable {
  var now: Date { get }
}

/// The machine's clock, truncated to microseconds (PostgreSQL's `timestamptz` precision) so
/// that a time read back from the database equals the time that was written.
public struct SystemClock: WallClock {
  public init() {}
  public var now: Date { Date().truncatedToMicroseconds }
}

/// A clock that stands still until a test moves it.
public final class ManualClock: WallClock {
  private let current: Mutex<Date>

  public init(_ start: Date) { current = Mutex(start.truncatedToMicroseconds) }

  public var now: Date { current.withLock { $0 } }

  public func advance(by seconds: TimeInterval) {
    current.withLock { $0 = $0.addingTimeInterval(seconds).truncatedToMicroseconds }
  }

  public func set(_ date: Date) {
    current.withLock { $0 = date.truncatedToMicroseconds }
  }
}

extension Date {
  /// The same instant with sub-microsecond digits dropped.
  public var truncatedToMicroseconds: Date {
    let micros = (timeIntervalSince1970 * 1_000_000).rounded(.down)
    return Date(timeIntervalSince1970: micros / 1_000_000)
  }
}
