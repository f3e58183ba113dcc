import AsyncHTTPClient
public import FeePayCore
public import FeePayStore
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import ServiceLifecycle

/// How webhook delivery behaves; defaults are docs/design/protocols.md §2's.
public struct WebhookSettings: Sendable {
  public var schedule = RetrySchedule.standard
  public var timeout: Duration = .seconds(15)
  /// Deliveries in flight per instance, and per portal across all instances.
  public var maxInFlight = 32
  public var perPortal = 4
  /// How long a claimed delivery is leased before another instance may take it over.
  public var lease: TimeInterval = 60
  public var pollInterval: Duration = .seconds(1)
  /// Whether webhooks may go to loopback, private, link-local and other non-global
  /// addresses, and over plain http (`FEEPAY_WEBHOOK_ALLOW_PRIVATE`; the embedded laptop
  /// setup turns it on). Off, every send resolves the host and refuses such addresses.
  public var allowPrivate = false

  public init() {}
}

/// Delivers events to portals as Standard Webhooks: `webhook-id` = the event id, HMAC-SHA256
/// with the portal's secret (and the previous one during a rotation), any 2xx within the
/// timeout is success. Claims with `FOR UPDATE SKIP LOCKED` and a lease, so several
/// instances never send one event twice in the normal course; a crash between sending and
/// recording may repeat one, which is what `webhook-id` is for. Deliveries run
/// concurrently, at most `perPortal` for any one portal, so a slow portal delays no other.
/// Each send goes through ``WebhookTransport``: never a redirect, never a non-global address
/// unless the operator allows it.
public struct WebhookDispatcher: Service {
  let store: WebhookStore
  let clock: any WallClock
  let settings: WebhookSettings
  let metrics: AppMetrics
  let logger: Logger
  let transport: WebhookTransport

  public init(
    store: WebhookStore, clock: any WallClock, settings: WebhookSettings, metrics: AppMetrics, logger: Logger
  ) {
    self.store = store
    self.clock = clock
    self.settings = settings
    self.metrics = metrics
    self.logger = logger
    self.transport = WebhookTransport(allowPrivate: settings.allowPrivate)
  }

  enum Step: Sendable {
    case done
    case tick
  }

  public func run() async throws {
    await withTaskGroup(of: Step.self) { group in
      var inFlight = 0
      var ticking = false
      while !Task.isCancelled && !Task.isShuttingDownGracefully {
        let free = settings.maxInFlight - inFlight
        var claimed = 0
        if free > 0 {
          do {
            let jobs = try await store.claim(
              now: clock.now, limit: free, perPortal: settings.perPortal, lease: settings.lease)
            claimed = jobs.count
            for job in jobs {
              inFlight += 1
              group.addTask {
                await deliver(job); return .done
              }
            }
          } catch {
            logger.error("claiming webhook deliveries failed", metadata: ["error": .string(String(reflecting: error))])
          }
          await updateBacklog()
        }
        if claimed > 0 && inFlight < settings.maxInFlight { continue }
        if !ticking {
          ticking = true
          group.addTask {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.pollInterval) }
            return .tick
          }
        }
        switch await group.next() {
        case .done?: inFlight -= 1
        case .tick?: ticking = false
        case nil: break
        }
      }
      await group.waitForAll()
    }
  }

  /// Claims what is due and delivers it, waiting for every attempt; answers how many were
  /// attempted. Tests drive the dispatcher with this and a manual clock.
  @discardableResult
  public func runOnce() async throws -> Int {
    let jobs = try await store.claim(
      now: clock.now, limit: settings.maxInFlight, perPortal: settings.perPortal, lease: settings.lease)
    await withTaskGroup(of: Void.self) { group in
      for job in jobs { group.addTask { await deliver(job) } }
    }
    await updateBacklog()
    return jobs.count
  }

  func updateBacklog() async {
    if let (depth, age) = try? await store.backlog(now: clock.now) {
      metrics.webhookBacklog(depth: depth, oldestAge: age)
    }
  }

  /// The body a portal receives: `{"type","timestamp","data"}`. If the object would make it
  /// 20 kB or more, `data` carries only its id; the portal fetches the rest.
  public static func body(of event: WebhookStore.Event) -> [UInt8] {
    func body(_ data: JSONValue) -> [UInt8] {
      let body: JSONValue = [
        "data": data, "timestamp": .string(Timestamp.format(event.createdAt)), "type": .string(event.type),
      ]
      return body.jsonBytes
    }
    let full = body(event.data)
    return full.count < 20_000 ? full : body(["id": event.data["id"] ?? .null])
  }

  func deliver(_ job: WebhookStore.Job) async {
    let body = Self.body(of: job.event)
    let timestamp = String(Int(clock.now.timeIntervalSince1970))
    let signatures = job.secrets.compactMap(StandardWebhooks.secretBytes).map {
      StandardWebhooks.signHMAC(secret: $0, id: job.eventID, timestamp: timestamp, body: body)
    }
    var request = HTTPClientRequest(url: job.url)
    request.method = .POST
    request.headers.add(name: "content-type", value: "application/json")
    request.headers.add(name: "user-agent", value: "FeePay-Webhooks/1")
    request.headers.add(name: "webhook-id", value: job.eventID)
    request.headers.add(name: "webhook-timestamp", value: timestamp)
    request.headers.add(name: "webhook-signature", value: signatures.joined(separator: " "))
    request.body = .bytes(ByteBuffer(bytes: body))
    let attempt = job.attempts + 1
    let result: WebhookStore.Result
    do {
      let (status, headers) = try await transport.send(
        request,
        timeout: .nanoseconds(
          Int64(settings.timeout.components.seconds) * 1_000_000_000
            + settings.timeout.components.attoseconds / 1_000_000_000))
      if (200..<300).contains(status) {
        result = .delivered(status: status)
      } else if status == 410 {
        result = .gone
      } else {
        let retryAfter = RetrySchedule.retryAfter(headers.first(name: "retry-after"), now: clock.now)
        let error: String =
          (300..<400).contains(status) ? "HTTP \(status) (redirects are not followed)" : "HTTP \(status)"
        result = .failed(
          status: status, error: error,
          retryAt: settings.schedule.nextAttempt(after: attempt, now: clock.now, retryAfter: retryAfter))
      }
    } catch {
      result = .failed(
        status: nil, error: Self.describe(error),
        retryAt: settings.schedule.nextAttempt(after: attempt, now: clock.now))
    }
    switch result {
    case .delivered: metrics.webhookDelivery(outcome: "delivered")
    case .gone: metrics.webhookDelivery(outcome: "gone")
    case .failed(_, _, let retryAt): metrics.webhookDelivery(outcome: retryAt == nil ? "failed" : "retry")
    }
    do {
      try await store.record(job, result, now: clock.now)
    } catch {
      logger.error(
        "recording a webhook delivery failed",
        metadata: ["event_id": .string(job.eventID), "error": .string(String(reflecting: error))])
    }
  }

  /// A short, secret-free description of a transport error.
  static func describe(_ error: any Error) -> String {
    switch error {
    case let error as WebhookTransport.Refused:
      error.description
    case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
      "timed out"
    case let error as HTTPClientError where error == .connectTimeout:
      "connect timed out"
    default:
      String(String(describing: error).prefix(200))
    }
  }
}
