import Crypto
import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/invoices`: create (portals, idempotent), read and list (anyone who may see them),
/// cancel (the owning portal).
struct InvoiceRoutes: Sendable {
  let invoices: InvoiceStore
  let presenter: InvoicePresenter
  let authenticator: Authenticator
  let clock: any WallClock
  let rules: InvoiceRules
  let connectors: ConnectorStore
  let provisioning: ProvisioningStore
  let vnpayGateway: String

  static let readers: Set<Role> = [.portal, .accountant, .auditor, .admin]

  func add(to router: Router<AppRequestContext>) {
    // A cached principal is enough for creation: its statement checks that the key is unrevoked.
    router.group("v1/invoices").add(middleware: authenticator.requiring([.portal], cached: true))
      .post { request, context in try await create(request, context) }
    router.group("v1/invoices").add(middleware: authenticator.requiring([.portal]))
      .post(":id/cancel") { request, context in try await cancel(request, context) }
      .get(":id/checkout") { request, context in try await checkout(request, context) }
    router.group("v1/invoices").add(middleware: authenticator.requiring(Self.readers))
      .get { request, context in try await list(request, context) }
      .get(":id") { request, context in try await get(request, context) }
  }

  /// A signed payment page link of a gateway, valid until `expiresAt`.
  struct Checkout: APIObject {
    var connector: String
    var url: String
    var expiresAt: Date

    var json: JSONValue {
      ["connector": .string(connector), "url": .string(url), "expires_at": .string(Timestamp.format(expiresAt))]
    }
  }

  /// The signed VNPay payment URL for an open invoice of the caller's portal.
  func checkout(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    let principal = try context.principal
    let id = try context.parameters.require("id")
    let parameters = request.uri.queryParameters
    let now = clock.now
    guard let invoice = try await invoices.get(id, visibleTo: principal) else { throw FeePayError.notFound("invoice") }
    var errors: [FieldError] = []
    let connectorCode = parameters.get("connector") ?? ""
    let returnURL = parameters.get("return_url") ?? ""
    var returnHosts: [String] = []
    if let portal = principal.portalCode { returnHosts = try await provisioning.returnHosts(portal: portal) }
    if let refusal = OutboundURL.returnURLRefusal(returnURL, allowedHosts: returnHosts) {
      errors.append(FieldError(parameter: "return_url", refusal))
    }
    let connector = try await connectors.connector(connectorCode, now: now)
    if connector?.kind != .vnpay { errors.append(FieldError(parameter: "connector", "must name a vnpay connector")) }
    if !errors.isEmpty { throw FeePayError.validation(errors) }
    guard invoice.status(at: now) == .open else {
      throw FeePayError(
        .invoiceNotOpen, "Invoice \(id) is \(invoice.status(at: now).rawValue); only an open invoice can be paid.")
    }
    guard let connector, let tmn = connector.tmnCode, let secret = connector.secrets.first,
      connector.mayCollect(for: invoice.agencyCode)
    else {
      throw FeePayError(.forbidden, "Connector \(connectorCode) may not collect for agency \(invoice.agencyCode).")
    }
    let ip = parameters.get("ip_addr").flatMap { $0.isPrintableASCII && $0.utf8.count <= 45 ? $0 : nil } ?? "127.0.0.1"
    let checkout = VNPay.checkout(
      invoice: invoice, gateway: vnpayGateway, tmnCode: tmn, secret: secret, returnURL: returnURL, ipAddress: ip,
      now: now)
    return .encoded(Checkout(connector: connector.code, url: checkout.url, expiresAt: checkout.expiresAt))
  }

  func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    var request = request
    let principal = try context.principal
    guard let portal = principal.portalCode else { throw FeePayError(.forbidden, "Only portal keys create invoices.") }
    guard let key = request.headers[.idempotencyKey] else {
      throw FeePayError(.malformedRequest, "The Idempotency-Key header is required (1-255 printable ASCII characters).")
    }
    guard (1...255).contains(key.utf8.count), key.isPrintableASCII else {
      throw FeePayError(
        .validationFailed, "Idempotency-Key must be 1-255 printable ASCII characters.",
        errors: [FieldError(parameter: "Idempotency-Key", "must be 1-255 printable ASCII characters")])
    }
    let body = try await request.jsonBody(limit: context.maxUploadSize)
    let now = clock.now
    let draft = try InvoiceDraft(json: try JSONValue.parse(body), now: now, rules: rules)
    guard principal.agencies.contains(draft.agencyCode) else {
      throw FeePayError(.forbidden, "This portal may not bill for agency \(draft.agencyCode).")
    }
    var hasher = SHA256()
    hasher.update(data: Array("POST /v1/invoices\n".utf8))
    hasher.update(data: body)
    let stored: StoredResponse
    do {
      stored = try await invoices.create(
        draft, portalCode: portal, keyID: principal.keyID, actor: principal.actor,
        idempotency: IdempotencyRequest(key: key, requestHash: Array(hasher.finalize())), now: now
      ) { invoice in
        StoredResponse.Content(status: Int(HTTPResponse.Status.created.code), body: presenter.json(invoice, now: now))
      }
    } catch let error as FeePayError where error.code == .unauthenticated {
      authenticator.forget(request)
      throw error
    }
    var headers = HTTPFields()
    if stored.replayed { headers[.idempotentReplayed] = "true" }
    return .json(stored.body, status: HTTPResponse.Status(code: stored.status), headers: headers)
  }

  func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    let principal = try context.principal
    let id = try context.parameters.require("id")
    guard let invoice = try await invoices.get(id, visibleTo: principal) else { throw FeePayError.notFound("invoice") }
    return .json(presenter.json(invoice, now: clock.now))
  }

  func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    let principal = try context.principal
    let parameters = request.uri.queryParameters
    var query = InvoiceQuery()
    var errors: [FieldError] = []
    query.limit = Cursor.limit(parameters.get("limit"), errors: &errors)
    if let status = parameters.get("status") {
      if let s = InvoiceStatus(rawValue: status) {
        query.status = s
      } else {
        errors.append(
          FieldError(
            parameter: "status", "must be one of \(InvoiceStatus.allCases.map(\.rawValue).joined(separator: ", "))"))
      }
    }
    if let after = parameters.get("created_after") {
      if let date = Timestamp.parse(after) {
        query.createdAfter = date
      } else {
        errors.append(FieldError(parameter: "created_after", "must be an RFC 3339 timestamp with an offset"))
      }
    }
    if let dossier = parameters.get("dossier_code") {
      if (1...64).contains(dossier.utf8.count), dossier.isPrintableASCII {
        query.dossierCode = dossier
      } else {
        errors.append(FieldError(parameter: "dossier_code", "must be 1-64 characters"))
      }
    }
    query.after = Cursor.after(parameters.get("cursor"), errors: &errors) { $0 }
    if !errors.isEmpty { throw FeePayError.validation(errors) }
    let now = clock.now
    let (page, hasMore) = try await invoices.list(query, visibleTo: principal, now: now)
    let next = hasMore ? page.last.map { Cursor.make(after: $0.id) } : nil
    return .encoded(Page(data: page.map { presenter.object($0, now: now) }, nextCursor: next))
  }

  func cancel(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    let principal = try context.principal
    let id = try context.parameters.require("id")
    let now = clock.now
    let invoice = try await invoices.cancel(id, by: principal, now: now)
    return .json(presenter.json(invoice, now: now))
  }
}
