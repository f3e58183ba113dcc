import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Receipts: read, verify, replace, the JWKS, the usage report, and the citizen's page.
struct ReceiptRoutes: Sendable {
  let receipts: ReceiptStore
  let authenticator: Authenticator
  let clock: any WallClock
  let limiter: PageRateLimit
  let clients: ClientAddress

  static let readers: Set<Role> = [.portal, .accountant, .auditor, .admin]

  func add(to router: Router<AppRequestContext>) {
    let reading = router.group("v1").add(middleware: authenticator.requiring(Self.readers))
    reading.get("receipts/:id") { _, context in
      let principal = try context.principal
      guard
        let receipt = try await receipts.receipt(
          id: try context.parameters.require("id"), portal: principal.readsEverything ? nil : principal.portalCode ?? ""
        )
      else { throw FeePayError.notFound("receipt") }
      return Response.json(Array(receipt.object.jsonText.utf8))
    }
    reading.get("invoices/:id/receipt") { _, context in
      let principal = try context.principal
      guard
        let receipt = try await receipts.receipt(
          invoiceID: try context.parameters.require("id"),
          portal: principal.readsEverything ? nil : principal.portalCode ?? "")
      else { throw FeePayError(.notFound, "That invoice has no receipt (yet) visible to this key.") }
      return Response.json(Array(receipt.object.jsonText.utf8))
    }
    router.get("/.well-known/jwks.json") { _, _ in
      let all = try await receipts.publicKeys()
      let keys = all.filter { $0.revokedAt == nil }.map { JWS.jwk(kid: $0.kid, publicKey: $0.key) }
      // Revoked keys leave "keys" (a standard verifier refuses what they signed) and stay in
      // the history under "revoked_keys", with the moment of their revocation.
      let revoked: [JSONValue] = all.compactMap { key in
        guard let at = key.revokedAt, case .object(var jwk) = JWS.jwk(kid: key.kid, publicKey: key.key) else {
          return nil
        }
        jwk["revoked_at"] = .string(Timestamp.format(at))
        return .object(jwk)
      }
      var headers = HTTPFields()
      headers[.contentType] = "application/jwk-set+json"
      headers[.cacheControl] = "public, max-age=300"
      return Response(
        status: .ok, headers: headers,
        body: ResponseBody(
          byteBuffer: ByteBuffer(
            string: JSONValue.object(["keys": .array(keys), "revoked_keys": .array(revoked)]).jsonText)))
    }
    router.post("/v1/receipts/verify") { request, context in
      var request = request
      let body = try JSONValue.parse(try await request.jsonBody(limit: 64 * 1024))
      guard let jws = body["jws"]?.stringValue else {
        throw FeePayError.validation([FieldError(pointer: "/jws", "must be the receipt's compact JWS")])
      }
      let (valid, receipt, reason) = try await receipts.verify(jws)
      // `matches_stored`: whether this JWS is the one FeePay stored for the receipt it names.
      let answer: JSONValue =
        valid
        ? ["valid": true, "matches_stored": true, "receipt": receipt?.object ?? .null]
        : [
          "valid": false, "reason": .string(reason ?? "invalid"),
          "matches_stored": receipt.map { .bool($0.jws == jws) } ?? false,
        ]
      return Response.json(Array(answer.jsonText.utf8))
    }
    router.group("v1").add(middleware: authenticator.requiring([.accountant, .admin]))
      .post("receipts/:id/replace") { request, context in try await replace(request, context) }
    router.group("v1").add(middleware: authenticator.requiring([.accountant, .auditor, .admin]))
      .get("reports/receipt-usage") { request, _ in try await usage(request) }
    router.group("receipts").add(middleware: PageRateLimitMiddleware(limiter: limiter, clients: clients))
      .get(":lookup") { request, context in
        let lookup = try context.parameters.require("lookup")
        let language = PageLanguage(request)
        guard let receipt = try await receipts.receipt(lookupCode: lookup) else {
          return ReceiptPage.notFound(language)
        }
        let (valid, _, reason) = try await receipts.verify(receipt)
        return Response.page(ReceiptPage.render(receipt, valid: valid, reason: reason, language: language))
      }
  }

  func replace(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    var request = request
    let principal = try context.principal
    let id = try context.parameters.require("id")
    let body = try JSONValue.parse(try await request.jsonBody(limit: context.maxUploadSize))
    let correction: ReceiptCorrection
    switch ReceiptCorrection.check(
      reason: body["reason"]?.stringValue, payerName: body["payer"]?["name"]?.stringValue,
      payerIDNumber: body["payer"]?["id_number"]?.stringValue)
    {
    case .success(let c): correction = c
    case .failure(let refused):
      throw FeePayError.validation(
        refused.parts.map {
          switch $0 {
          case .reason: FieldError(pointer: "/reason", "is required (1-500 characters)")
          case .payerName: FieldError(pointer: "/payer/name", "is required (1-200 characters)")
          case .payerIDNumber: FieldError(pointer: "/payer/id_number", "must be 1-20 letters or digits")
          }
        })
    }
    let receipt = try await receipts.replace(id: id, correction, actor: principal.actor, now: clock.now)
    return Response.json(Array(receipt.object.jsonText.utf8), status: .created)
  }

  func usage(_ request: Request) async throws -> Response {
    let p = request.uri.queryParameters
    var errors: [FieldError] = []
    let from = p.get("from").flatMap(BusinessDate.init)
    let to = p.get("to").flatMap(BusinessDate.init)
    if from == nil { errors.append(FieldError(parameter: "from", "must be a date YYYY-MM-DD")) }
    if to == nil { errors.append(FieldError(parameter: "to", "must be a date YYYY-MM-DD")) }
    if let from, let to, to < from { errors.append(FieldError(parameter: "to", "must not be before from")) }
    guard errors.isEmpty, let from, let to else { throw FeePayError.validation(errors) }
    let rows = try await receipts.usage(from: from, to: to, agency: p.get("agency"))
    return .encoded(Page(data: rows, nextCursor: nil))
  }
}

extension ReceiptStore.UsageRow: APIObject {
  var json: JSONValue {
    [
      "agency_code": .string(agencyCode), "template_symbol": .string(templateSymbol), "series": .string(series),
      "first_number": .string(firstNumber), "last_number": .string(lastNumber), "issued": .integer(Int64(issued)),
      "replaced": .integer(Int64(replaced)), "cancelled": .integer(Int64(cancelled)),
      "total_amount": .integer(totalAmount),
    ]
  }
}
