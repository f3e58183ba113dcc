import FeePayCore
import FeePayStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `/health/live`, `/health/ready`, `/metrics` and `/openapi.yaml`.
struct OperationsRoutes: Sendable {
  let database: Database
  let migrator: Migrator
  let readinessTimeout: Duration
  let metrics: AppMetrics

  func add(to router: Router<AppRequestContext>) {
    router.get("/health/live") { _, _ in Response.encoded(["status": "live"] as JSONValue) }
    router.get("/health/ready") { _, context in try await ready(context) }
    router.get("/metrics") { _, _ in
      var headers = HTTPFields()
      headers[.contentType] = "text/plain; version=0.0.4"
      return Response(
        status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }
    router.get("/openapi.yaml") { _, _ in
      var headers = HTTPFields()
      headers[.contentType] = "application/yaml"
      return Response(
        status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
    }
  }

  /// Ready when the database answers within the timeout and every migration this build
  /// knows has been applied.
  func ready(_ context: AppRequestContext) async throws -> Response {
    let pending: [Migration]
    do {
      pending = try await withThrowingTaskGroup(of: [Migration]?.self) { group in
        group.addTask { try await migrator.pending(database.client, logger: database.logger) }
        group.addTask {
          try await Task.sleep(for: readinessTimeout)
          return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else {
          throw FeePayError(.unavailable, "The database did not answer within \(readinessTimeout).")
        }
        return result
      }
    } catch let error as FeePayError {
      throw error.code == .unavailable ? error : FeePayError(.unavailable, error.detail)
    } catch {
      context.logger.warning("readiness check failed", metadata: ["error": .string(String(reflecting: error))])
      throw FeePayError(.unavailable, "The database is unreachable.")
    }
    guard pending.isEmpty else {
      throw FeePayError(
        .unavailable, "Migrations not applied yet: \(pending.map(\.name).joined(separator: ", ")). Run feepay migrate.")
    }
    return .encoded(["status": "ready"] as JSONValue)
  }
}
