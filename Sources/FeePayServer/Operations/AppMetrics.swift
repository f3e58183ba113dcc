import Prometheus

/// FeePay's Prometheus metrics, kept in a registry the application owns (no global state,
/// so that tests can run many applications in one process). Served at `GET /metrics`.
public final class AppMetrics: Sendable {
  let registry = PrometheusCollectorRegistry()

  public init() {}

  static var callbacks: MetricNameDescriptor {
    MetricNameDescriptor(
      namespace: "feepay", metricName: "callbacks", unitName: "total",
      helpText: "Bank callbacks by connector and outcome.")
  }

  /// Counts a callback by connector and outcome (`accepted`, `duplicate`, `exception`,
  /// `refused`, `malformed`, `failed_attempt`, `ignored`). Unknown connectors are counted
  /// as `unknown`, so that random paths cannot grow the label set.
  func callback(connector: String?, outcome: String) {
    registry.makeCounter(
      descriptor: Self.callbacks, labels: [("connector", connector ?? "unknown"), ("outcome", outcome)]
    ).increment()
  }

  /// Counts a webhook attempt by outcome (`delivered`, `retry`, `failed`, `gone`).
  func webhookDelivery(outcome: String) {
    registry.makeCounter(descriptor: Self.deliveries, labels: [("outcome", outcome)]).increment()
  }

  /// Deliveries waiting, and the age in seconds of the oldest undelivered event.
  func webhookBacklog(depth: Int, oldestAge: Double) {
    registry.makeGauge(descriptor: Self.queueDepth).set(Double(depth))
    registry.makeGauge(descriptor: Self.oldestAge).set(oldestAge)
  }

  static var deliveries: MetricNameDescriptor {
    MetricNameDescriptor(
      namespace: "feepay", metricName: "webhook_deliveries", unitName: "total",
      helpText: "Webhook delivery attempts by outcome.")
  }

  static var queueDepth: MetricNameDescriptor {
    MetricNameDescriptor(
      namespace: "feepay", metricName: "webhook_queue", unitName: "depth",
      helpText: "Webhook deliveries pending or in flight.")
  }

  static var oldestAge: MetricNameDescriptor {
    MetricNameDescriptor(
      namespace: "feepay", metricName: "webhook_oldest_undelivered_age", unitName: "seconds",
      helpText: "Age of the oldest event not yet delivered.")
  }

  func exposition() -> [UInt8] {
    var buffer: [UInt8] = []
    registry.emit(into: &buffer)
    return buffer
  }
}
