import FeePayCore
import Synchronization

/// At most `limit` statement uploads at once on this instance: each holds disk, memory for
/// its parse, and a database connection for its load, so a burst of uploads must not starve
/// the callbacks. Beyond the limit an upload is refused at once (429 with `Retry-After`),
/// before its body is read.
final class UploadGate: Sendable {
  let limit: Int
  private let running = Mutex(0)

  init(limit: Int) { self.limit = limit }

  /// The refusal of an upload beyond the limit.
  var refusal: FeePayError {
    FeePayError(.rateLimited, "\(limit) statement uploads are already being worked on here; retry in a little while.")
  }

  /// A place held until the ticket is released: an upload whose import runs in a streamed
  /// response keeps it in the closure that writes the response, and frees it whenever that
  /// closure goes, run to the end or dropped with the connection.
  final class Ticket: Sendable {
    let gate: UploadGate
    init(_ gate: UploadGate) { self.gate = gate }
    deinit { gate.leave() }
  }

  /// A ticket if a place is free.
  func ticket() -> Ticket? { enter() ? Ticket(self) : nil }

  /// Takes a place if one is free; whoever gets `true` calls ``leave()`` exactly once.
  func enter() -> Bool {
    running.withLock { count in
      guard count < limit else { return false }
      count += 1
      return true
    }
  }

  func leave() { running.withLock { $0 -= 1 } }

  /// Runs `body` holding one of the places, or throws `rate_limited` if none is free.
  func run<T>(_ body: () async throws -> T) async throws -> T {
    guard enter() else { throw refusal }
    defer { leave() }
    return try await body()
  }
}
