import FeePayCore
import FeePayStore
import Foundation
import Hummingbird

/// `GET /v1/events` (polling, commit order, stable cursor), `POST /v1/events/{id}/redeliver`
/// and `GET /v1/webhook-deliveries`.
struct EventRoutes: Sendable {
  let store: WebhookStore
  let authenticator: Authenticator
  let clock: any WallClock

  func add(to router: Router<AppRequestContext>) {
    router.group("v1/events").add(middleware: authenticator.requiring([.portal]))
      .get { request, context in try await events(request, context) }
      .post(":id/redeliver") { request, context in try await redeliver(request, context) }
    router.group("v1/webhook-deliveries").add(middleware: authenticator.requiring([.portal, .auditor, .admin]))
      .get { request, context in try await deliveries(request, context) }
  }

  func events(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    let principal = try context.principal
    let parameters = request.uri.queryParameters
    var errors: [FieldError] = []
    let limit = Cursor.limit(parameters.get("limit"), errors: &errors)
    if !errors.isEmpty { throw FeePayError.validation(errors) }
    let after = parameters.get("after")
    let page = try await store.events(portal: principal.portalCode ?? "", after: after, limit: limit)
    let next = page.last?.cursor ?? after
    let body: JSONValue = [
      "data": .array(page.map(\.json)), "has_more": .bool(page.count == limit),
      "next_cursor": next.map(JSONValue.string) ?? .null,
    ]
    return .encoded(body)
  }

  func redeliver(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    let principal = try context.principal
    let id = try context.parameters.require("id")
    guard IDGenerator.isWellFormed(id, kind: .event) else { throw FeePayError.notFound("event") }
    try await store.redeliver(eventID: id, portal: principal.portalCode ?? "", now: clock.now)
    return .encoded(["event_id": .string(id), "status": "pending"] as JSONValue, status: .accepted)
  }

  func deliveries(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    let principal = try context.principal
    let parameters = request.uri.queryParameters
    var errors: [FieldError] = []
    let status = parameters.get("status")
    if let status, !["pending", "delivering", "delivered", "failed"].contains(status) {
      errors.append(FieldError(parameter: "status", "must be pending, delivering, delivered or failed"))
    }
    let limit = Cursor.limit(parameters.get("limit"), errors: &errors)
    let after = Cursor.after(parameters.get("cursor"), errors: &errors) { $0 }
    if !errors.isEmpty { throw FeePayError.validation(errors) }
    let (items, hasMore) = try await store.deliveries(
      portal: principal.role == .portal ? principal.portalCode ?? "" : nil, status: status, after: after, limit: limit)
    return .encoded(Page(data: items, nextCursor: hasMore ? items.last.map { Cursor.make(after: $0.eventID) } : nil))
  }
}

extension WebhookStore.Event: APIObject {
  /// The same object in the events API and (as `data`, with `timestamp`) in webhooks.
  var json: JSONValue {
    ["id": .string(id), "type": .string(type), "created_at": .string(Timestamp.format(createdAt)), "data": data]
  }
}

extension WebhookStore.Delivery: APIObject {
  var json: JSONValue {
    func time(_ d: Date?) -> JSONValue { d.map { .string(Timestamp.format($0)) } ?? .null }
    return [
      "event_id": .string(eventID), "event_type": .string(eventType), "status": .string(status),
      "attempts": .integer(Int64(attempts)), "last_status": lastStatus.map { .integer(Int64($0)) } ?? .null,
      "last_error": lastError.map(JSONValue.string) ?? .null, "next_attempt_at": time(nextAttemptAt),
      "delivered_at": time(deliveredAt),
    ]
  }
}
