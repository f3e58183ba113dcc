import FeePayCore
import FeePayStore
import Logging
import ServiceLifecycle

/// Issues a receipt for every paid invoice within about a second of payment, and catches
/// up after downtime. Safe with several instances (see ``ReceiptStore/issueBatch``).
struct ReceiptIssuer: Service {
  let receipts: ReceiptStore
  let clock: any WallClock
  let interval: Duration
  let logger: Logger

  func run() async throws {
    await repeatEvery(interval) {
      do {
        while try await receipts.issueBatch(now: clock.now) > 0, !Task.isShuttingDownGracefully {}
      } catch {
        logger.error("issuing receipts failed", metadata: ["error": .string(String(reflecting: error))])
      }
    }
  }
}
