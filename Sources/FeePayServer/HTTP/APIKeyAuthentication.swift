import FeePayCore
import Hummingbird
import HummingbirdAuth

/// The authentication of a route group: `Authorization: Bearer fpk_…` becomes the request's
/// ``Principal`` (`401` for a missing, unknown or revoked key), which must hold one of
/// `roles` (`403` otherwise). Declared where the group is made:
///
/// ```swift
/// router.group("v1/invoices").add(middleware: keys.requiring([.portal], cached: true))
/// ```
struct APIKeyAuthentication: AuthenticatorMiddleware {
  typealias Context = AppRequestContext
  typealias Identity = Principal

  let keys: Authenticator
  let roles: Set<Role>
  /// Whether a principal cached for a few seconds will do (see ``Authenticator``).
  let cached: Bool

  func authenticate(request: Request, context: AppRequestContext) async throws -> Principal? {
    try await keys.principal(request, roles: roles, cached: cached)
  }
}

extension Authenticator {
  /// The middleware that admits requests whose key holds one of `roles`.
  func requiring(_ roles: Set<Role>, cached: Bool = false) -> APIKeyAuthentication {
    APIKeyAuthentication(keys: self, roles: roles, cached: cached)
  }
}
