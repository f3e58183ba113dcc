public import FeePayCore
public import Hummingbird
public import HummingbirdAuth
import Logging
public import NIOCore

/// The request context of every FeePay route: Hummingbird's core storage, the request id
/// (echoed in `X-Request-Id`, written in every log line and in problem bodies), and the
/// principal that the route group's authentication middleware put there.
public struct AppRequestContext: AuthRequestContext, RemoteAddressRequestContext {
  public var coreContext: CoreRequestContextStorage
  public var requestID: String = ""
  /// Who is calling, once a route group's ``APIKeyAuthentication`` let the request in.
  public var identity: Principal?
  /// The peer of the connection (the rate limit of citizen pages counts by it).
  public let remoteAddress: SocketAddress?

  public init(source: Source) {
    self.coreContext = .init(source: source)
    self.remoteAddress = source.channel.remoteAddress
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
