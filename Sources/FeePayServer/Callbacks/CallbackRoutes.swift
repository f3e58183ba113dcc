import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `POST /v1/callbacks/{connector}` (and `GET` for VNPay's IPN): the bank's word that money
/// arrived. The signature is the authentication; it is checked on the raw bytes before
/// anything is parsed. Every answer is sent after the transaction has committed.
struct CallbackRoutes: Sendable {
  let connectors: ConnectorStore
  let payments: PaymentStore
  let clock: any WallClock
  let metrics: AppMetrics
  /// Callback bodies are small; anything larger is refused before it is read whole.
  static let bodyLimit = 64 * 1024

  func add(to router: Router<AppRequestContext>) {
    router.post("/v1/callbacks/:connector") { request, context in try await handle(request, context) }
    router.get("/v1/callbacks/:connector") { request, context in try await handle(request, context) }
  }

  /// What a Standard Webhooks callback is answered: its verdict, and the payment or
  /// exception it came to (members without a value are left out).
  struct Answer: APIObject {
    var status: String
    var paymentID: String?
    var exceptionID: String?

    var json: JSONValue {
      var members: [String: JSONValue] = ["status": .string(status)]
      if let paymentID { members["payment_id"] = .string(paymentID) }
      if let exceptionID { members["exception_id"] = .string(exceptionID) }
      return .object(members)
    }
  }

  func handle(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    let code = try context.parameters.require("connector")
    let now = clock.now
    guard ProvisioningRules.portalCode(code) == nil,
      var connector = try await connectors.connector(code, now: now, cached: true)
    else {
      metrics.callback(connector: nil, outcome: "refused")
      context.logger.warning(
        "callback for an unknown connector refused", metadata: ["connector": .string(String(code.prefix(32)))])
      throw FeePayError.notFound("connector")
    }
    let body: [UInt8]
    do {
      body = Array(try await request.body.collect(upTo: Self.bodyLimit).readableBytesView)
    } catch let error as HTTPError where error.status == .contentTooLarge {
      metrics.callback(connector: code, outcome: "malformed")
      throw FeePayError(.payloadTooLarge, "A callback body is at most \(Self.bodyLimit) bytes.")
    }
    var headers: [String: String] = [:]
    for field in request.headers where Self.evidenceHeaders.contains(field.name.canonicalName) {
      headers[field.name.canonicalName] = field.value
    }
    // A VNPay IPN is read once; its signature is checked and its meaning taken from the
    // same parameters.
    let ipn = connector.kind == .vnpay ? Self.ipn(request, body: body) : nil
    // The connector may come from the cache: before a signature is refused, read it again,
    // so that a secret rotated a moment ago is already accepted.
    var refusal = signatureRefusal(request, body: body, ipn: ipn, connector: connector, now: now)
    if refusal != nil, let fresh = try await connectors.connector(code, now: now), fresh.kind == connector.kind {
      connector = fresh
      refusal = signatureRefusal(request, body: body, ipn: ipn, connector: fresh, now: now)
    }
    let evidence = CallbackEvidence(
      method: request.method.rawValue, query: request.uri.query ?? "", headers: headers, body: body, receivedAt: now)
    switch connector.kind {
    case .standardWebhooks, .standardWebhooksEd25519:
      guard request.method == .post else { throw FeePayError(.notFound, "This connector takes POST callbacks.") }
      return try await standardWebhooks(
        context, connector: connector, refusal: refusal, body: body, evidence: evidence, now: now)
    case .vnpay:
      return try await vnpay(context, ipn: ipn, connector: connector, refusal: refusal, evidence: evidence, now: now)
    }
  }

  /// The headers a callback's evidence keeps: what proves who sent it and what it said, and
  /// where it came from; nothing else (no credentials, cookies or a proxy's internals).
  static let evidenceHeaders: Set<String> = [
    "content-type", "content-length", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature",
    "x-forwarded-for", "forwarded", "x-real-ip", "x-request-id",
  ]

  /// Why the callback's signature does not verify with `connector`'s material, or `nil` if
  /// it does (a VNPay request whose parameters cannot be read is answered as malformed later,
  /// not refused here). Checked once per callback, twice only when a cached connector refuses.
  func signatureRefusal(_ request: Request, body: [UInt8], ipn: VNPayIPN?, connector: Connector, now: Date)
    -> String?
  {
    switch connector.kind {
    case .standardWebhooks, .standardWebhooksEd25519:
      do {
        try StandardWebhooks.verify(
          id: request.headers[.webhookID], timestamp: request.headers[.webhookTimestamp],
          signatures: request.headers[.webhookSignature], body: body, verifier: Self.verifier(connector), now: now)
        return nil
      } catch {
        return error.rawValue
      }
    case .vnpay:
      guard let ipn else { return nil }
      return ipn.verifies(secrets: connector.secrets) ? nil : "vnp_SecureHash"
    }
  }

  static func verifier(_ connector: Connector) -> StandardWebhooks.Verifier {
    connector.kind == .standardWebhooks
      ? .hmac(connector.secrets.compactMap(StandardWebhooks.secretBytes))
      : .ed25519(connector.publicKeys.compactMap { StandardWebhooks.keyBytes($0, prefix: "whpk_") })
  }

  /// VNPay's IPN: the query string, then a form body's fields; `nil` if they cannot be read.
  static func ipn(_ request: Request, body: [UInt8]) -> VNPayIPN? {
    let form =
      request.method == .post && request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true
    return VNPayIPN(query: request.uri.query ?? "", formBody: form ? body : nil)
  }

  func standardWebhooks(
    _ context: AppRequestContext, connector: Connector, refusal: String?, body: [UInt8], evidence: CallbackEvidence,
    now: Date
  ) async throws -> Response {
    if let refusal {
      metrics.callback(connector: connector.code, outcome: "refused")
      context.logger.warning(
        "callback refused", metadata: ["connector": .string(connector.code), "reason": .string(refusal)])
      throw FeePayError(.unauthenticated, "The callback's signature could not be verified: \(refusal).")
    }
    let notification: PaymentNotification?
    do {
      notification = try PaymentNotification.standardWebhooksBody(body)
    } catch {
      metrics.callback(connector: connector.code, outcome: "malformed")
      throw error
    }
    guard let notification else {
      metrics.callback(connector: connector.code, outcome: "ignored")
      return .encoded(Answer(status: "ignored"))
    }
    let outcome = try await payments.record(notification, connector: connector, evidence: evidence, now: now)
    switch outcome {
    case .accepted(let id):
      metrics.callback(connector: connector.code, outcome: "accepted")
      return .encoded(Answer(status: "accepted", paymentID: id))
    case .duplicate(let payment, let exception):
      metrics.callback(connector: connector.code, outcome: "duplicate")
      return .encoded(Answer(status: "duplicate", paymentID: payment, exceptionID: exception))
    case .exception(let id, _):
      metrics.callback(connector: connector.code, outcome: "exception")
      return .encoded(Answer(status: "exception", exceptionID: id))
    }
  }

  /// VNPay's IPN, in VNPay's order: signature → order exists → amount → still unpaid →
  /// record → answer. Every answer is HTTP 200 with `RspCode`.
  func vnpay(
    _ context: AppRequestContext, ipn: VNPayIPN?, connector: Connector, refusal: String?, evidence: CallbackEvidence,
    now: Date
  ) async throws -> Response {
    func answer(_ a: VNPay.Answer, _ outcome: String) -> Response {
      metrics.callback(connector: connector.code, outcome: outcome)
      return .json(a.jsonValue.jsonBytes)
    }
    guard let ipn else { return answer(.unknownError, "malformed") }
    if let refusal {
      context.logger.warning(
        "callback refused", metadata: ["connector": .string(connector.code), "reason": .string(refusal)])
      return answer(.invalidSignature, "refused")
    }
    switch ipn.meaning(tmnCode: connector.tmnCode) {
    case .malformed:
      return answer(.unknownError, "malformed")
    case .failedAttempt(let code, let txn, let response, let amount):
      try await payments.recordFailedAttempt(
        connector: connector.code, paymentCode: code?.value, bankTxnID: txn, responseCode: response, amount: amount,
        evidence: evidence, now: now)
      return answer(.confirmed, "failed_attempt")
    case .paid(let notification):
      let outcome = try await payments.record(
        notification, connector: connector, evidence: evidence, now: now, amountBeforeState: true)
      switch outcome {
      case .accepted: return answer(.confirmed, "accepted")
      case .duplicate: return answer(.alreadyConfirmed, "duplicate")
      case .exception(_, let kind): return answer(.exception(kind), "exception")
      }
    }
  }
}

extension HTTPField.Name {
  static let webhookID = Self("webhook-id")!
  static let webhookTimestamp = Self("webhook-timestamp")!
  static let webhookSignature = Self("webhook-signature")!
}
