import FeePayCore
import FeePayStore
import Foundation
import Hummingbird

/// `GET /v1/audit` (auditors and admins): the audit log, newest first, each entry with its
/// link in the hash chain once sealed; `GET /v1/audit/anchors` (public, like the JWKS): the
/// signed chain head of every closed day, for copies kept outside the database.
struct AuditRoutes: Sendable {
  let overview: OverviewStore
  let chain: AuditChainStore
  let authenticator: Authenticator

  func add(to router: Router<AppRequestContext>) {
    router.group("v1/audit").add(middleware: authenticator.requiring([.auditor, .admin]))
      .get { request, _ in try await list(request) }
    router.get("v1/audit/anchors") { _, _ in try await anchors() }
  }

  func list(_ request: Request) async throws -> Response {
    let p = request.uri.queryParameters
    var errors: [FieldError] = []
    var filter = OverviewStore.AuditFilter()
    for (name, text) in [("actor", p.get("actor")), ("action", p.get("action"))] {
      guard let text else { continue }
      if text.isEmpty || text.utf8.count > 200 || text.containsControlCharacters {
        errors.append(FieldError(parameter: name, "must be 1-200 characters (matched as a prefix)"))
      }
    }
    filter.actor = p.get("actor")
    filter.action = p.get("action")
    for (name, text) in [("from", p.get("from")), ("to", p.get("to"))] {
      guard let text else { continue }
      guard let at = Timestamp.parse(text) else {
        errors.append(FieldError(parameter: name, "must be an RFC 3339 date-time"))
        continue
      }
      if name == "from" { filter.from = at } else { filter.to = at }
    }
    filter.limit = Cursor.limit(p.get("limit"), errors: &errors)
    filter.before = Cursor.after(p.get("cursor"), errors: &errors) { Int64($0) }
    if !errors.isEmpty { throw FeePayError.validation(errors) }
    let (entries, hasMore) = try await overview.audit(filter)
    let data: [JSONValue] = entries.map { e in
      [
        "id": .integer(e.id), "at": .string(Timestamp.format(e.at)), "actor": .string(e.actor),
        "action": .string(e.action), "subject": .string(e.subject),
        "summary": (try? JSONValue.parse(Array(e.summary.utf8))) ?? .null,
        "chain": e.seq.map { seq in ["seq": .integer(seq), "hash": .string(e.hash?.lowercaseHex ?? "")] } ?? .null,
      ]
    }
    var body: [String: JSONValue] = ["data": .array(data), "has_more": .bool(hasMore)]
    body["next_cursor"] = hasMore ? entries.last.map { .string(Cursor.make(after: String($0.id))) } ?? .null : .null
    return Response.json(Array(JSONValue.object(body).jsonText.utf8))
  }

  func anchors() async throws -> Response {
    let head = try await chain.head()
    let anchors: [JSONValue] = try await chain.anchors().map { a in
      [
        "business_date": .string(a.businessDate.description), "seq": .integer(a.seq),
        "hash": .string(a.hash.lowercaseHex), "jws": .string(a.jws),
        "anchored_at": .string(Timestamp.format(a.createdAt)),
      ]
    }
    let body: JSONValue = [
      "data": .array(anchors), "head": ["seq": .integer(head.seq), "hash": .string(head.hash.lowercaseHex)],
    ]
    return Response.json(Array(body.jsonText.utf8))
  }
}
