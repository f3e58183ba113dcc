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

  func exposition() -> [UInt8] {
    var buffer: [UInt8] = []
    registry.emit(into: &buffer)
    return buffer
  }
}
