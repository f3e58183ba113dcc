public import Hummingbird
import Logging

/// The request context of every FeePay route: Hummingbird's core storage plus the request
/// id, which is echoed in `X-Request-Id`, written in every log line and in problem bodies.
public struct AppRequestContext: RequestContext {
  public var coreContext: CoreRequestContextStorage
  public var requestID: String = ""

  public init(source: Source) {
    self.coreContext = .init(source: source)
  }

  /// JSON request bodies are limited to 1 MiB (api.md).
  public var maxUploadSize: Int { 1 << 20 }
}
