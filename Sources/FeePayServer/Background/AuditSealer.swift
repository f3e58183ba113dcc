import FeePayCore
import FeePayStore
import Logging
import ServiceLifecycle

/// Seals the audit log into its hash chain every `interval`, then anchors the days closed
/// since. One instance seals at a time (the others find the lock taken and wait for the
/// next round), and nothing on a request's path touches the chain.
struct AuditSealer: Service {
  let chain: AuditChainStore
  let clock: any WallClock
  let interval: Duration
  let logger: Logger

  func run() async throws {
    await repeatEvery(interval) { await round() }
  }

  func round() async {
    do {
      var sealed = 0
      repeat {
        let batch = try await chain.seal(now: clock.now)
        sealed += batch
        if batch < 5000 { break }
      } while !Task.isCancelled
      let anchored = try await chain.anchorClosedDays(now: clock.now)
      if anchored > 0 {
        logger.info("audit anchors", metadata: ["days_anchored": .stringConvertible(anchored)])
      }
    } catch {
      logger.error("sealing the audit log failed", metadata: ["error": .string(String(reflecting: error))])
    }
  }
}
