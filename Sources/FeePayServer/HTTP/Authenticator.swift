import FeePayCore
import FeePayStore
import Foundation
import Hummingbird

/// Turns `Authorization: Bearer fpk_…` into a ``Principal``: `401` for a missing, unknown
/// or revoked key, `403` when the key's role may not do what the route does.
///
/// Principals are looked up on every request, except by routes that re-check the key in the
/// statement that does their work (invoice creation): those may use a principal cached for a
/// few seconds, which saves a round trip without letting a revoked key write anything.
struct Authenticator: Sendable {
  let provisioning: ProvisioningStore
  let cache: ExpiringCache<[UInt8], Principal>

  init(provisioning: ProvisioningStore, clock: any WallClock, cacheLifetime: TimeInterval) {
    self.provisioning = provisioning
    self.cache = ExpiringCache(clock: clock, lifetime: cacheLifetime)
  }

  func principal(_ request: Request, roles: Set<Role>, cached: Bool = false) async throws -> Principal {
    guard let token = request.bearerToken else {
      throw FeePayError(.unauthenticated, "Send an API key: Authorization: Bearer fpk_…")
    }
    let principal: Principal
    let hash = NewAPIKey.sha256(token)
    if cached, let known = cache[hash] {
      principal = known
    } else {
      guard let found = try await provisioning.authenticate(token) else {
        cache.remove(hash)
        throw FeePayError(.unauthenticated, "The API key is unknown or has been revoked.")
      }
      cache.store(found, for: hash)
      principal = found
    }
    guard roles.contains(principal.role) else {
      throw FeePayError(
        .forbidden,
        "A key with the role \(principal.role.rawValue) may not do this; it needs \(roles.map(\.rawValue).sorted().joined(separator: " or "))."
      )
    }
    return principal
  }

  /// Drops a cached principal whose key the database no longer accepts.
  func forget(_ request: Request) {
    if let token = request.bearerToken { cache.remove(NewAPIKey.sha256(token)) }
  }
}
