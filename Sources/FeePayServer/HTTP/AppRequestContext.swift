public import FeePayCore
public import Hummingbird
public import HummingbirdAuth
import Logging

/// The request context of every FeePay route: Hummingbird's core storage, the request id
/// (echoed in `X-Request-Id`, written in every log line and in problem bodies), and the
/// principal that the route group's authentication middleware put there.
public struct AppRequestContext: AuthRequestContext {
  public var coreContext: CoreRequestContextStorage
  public var requestID: String = ""
  /// Who is calling, once a route group's ``APIKeyAuthentication`` let the request in.
  public var identity: Principal?

  public init(source: Source) {
    self.coreContext = .init(source: source)
  }

  /// JSON request bodies are limited to 1 MiB.
  public var maxUploadSize: Int { 1 << 20 }

  /// The authenticated principal. Only routes of a group with ``APIKeyAuthentication`` ask;
  /// anywhere else this is a programming error, answered as a 500.
  var principal: Principal {
    get throws {
      guard let identity else {
        throw FeePayError(.internalError, "The route asks for a principal but its group authenticates none.")
      }
      return identity
    }
  }
}
