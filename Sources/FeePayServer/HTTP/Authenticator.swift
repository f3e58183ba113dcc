import FeePayCore
import FeePayStore
import Hummingbird

/// Turns `Authorization: Bearer fpk_…` into a ``Principal``: `401` for a missing, unknown
/// or revoked key, `403` when the key's role may not do what the route does.
struct Authenticator: Sendable {
  let provisioning: ProvisioningStore

  func principal(_ request: Request, roles: Set<Role>) async throws -> Principal {
    guard let token = request.bearerToken else {
      throw FeePayError(.unauthenticated, "Send an API key: Authorization: Bearer fpk_…")
    }
    guard let principal = try await provisioning.authenticate(token) else {
      throw FeePayError(.unauthenticated, "The API key is unknown or has been revoked.")
    }
    guard roles.contains(principal.role) else {
      throw FeePayError(
        .forbidden,
        "A key with the role \(principal.role.rawValue) may not do this; it needs \(roles.map(\.rawValue).sorted().joined(separator: " or "))."
      )
    }
    return principal
  }
}
