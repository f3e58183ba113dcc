import FeePayCore
import FeePayStore
import Logging
import ServiceLifecycle

/// Periodic housekeeping: marks overdue open invoices `expired` (with their events) and
/// prunes idempotency keys older than 24 hours. Safe with several instances: expiry
/// claims rows with `FOR UPDATE SKIP LOCKED`, and pruning is idempotent.
struct MaintenanceService: Service {
  let invoices: InvoiceStore
  let clock: any WallClock
  let interval: Duration
  let logger: Logger

  func run() async throws {
    await repeatEvery(interval) { await sweep() }
  }

  func sweep() async {
    do {
      var expired = 0
      repeat {
        let batch = try await invoices.expireDue(now: clock.now)
        expired += batch
        if batch < 500 { break }
      } while !Task.isCancelled
      let pruned = try await invoices.pruneIdempotencyKeys(now: clock.now)
      if expired > 0 || pruned > 0 {
        logger.info(
          "maintenance",
          metadata: [
            "invoices_expired": .stringConvertible(expired), "idempotency_keys_pruned": .stringConvertible(pruned),
          ])
      }
    } catch {
      logger.error("maintenance failed", metadata: ["error": .string(String(reflecting: error))])
    }
  }
}
