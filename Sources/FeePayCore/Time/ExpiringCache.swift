public import Foundation
import Synchronization

/// A small in-process cache whose entries live `lifetime` seconds of the injected clock.
/// It holds what changes rarely and is read on every request (an API key's principal, a
/// connector's secrets, an agency's bank account) so that the hot paths skip a round trip;
/// whoever uses it says what staleness means for that value.
public final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
  struct Entry {
    var value: Value
    var expires: Date
  }

  let clock: any WallClock
  let lifetime: TimeInterval
  let capacity: Int
  let entries = Mutex<[Key: Entry]>([:])

  /// A `lifetime` of zero turns the cache off.
  public init(clock: any WallClock, lifetime: TimeInterval, capacity: Int = 10_000) {
    self.clock = clock
    self.lifetime = lifetime
    self.capacity = capacity
  }

  /// The value for `key` if it is there and has not expired.
  public subscript(key: Key) -> Value? {
    let now = clock.now
    return entries.withLock { entries in
      guard let entry = entries[key] else { return nil }
      guard entry.expires > now else {
        entries[key] = nil
        return nil
      }
      return entry.value
    }
  }

  public func store(_ value: Value, for key: Key) {
    guard lifetime > 0 else { return }
    let expires = clock.now.addingTimeInterval(lifetime)
    entries.withLock { entries in
      // Bounded: a flood of distinct keys empties the cache rather than growing it.
      if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
      entries[key] = Entry(value: value, expires: expires)
    }
  }

  public func remove(_ key: Key) {
    _ = entries.withLock { $0.removeValue(forKey: key) }
  }
}
