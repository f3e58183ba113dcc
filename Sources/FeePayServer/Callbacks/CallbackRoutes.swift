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

  struct Answer: Encodable {
    var status: String
    var paymentID: String?
    var exceptionID: String?

    enum CodingKeys: String, CodingKey {
      case status
      case paymentID = "payment_id"
      case exceptionID = "exception_id"
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
    for field in request.headers where field.name != .authorization && field.name != .cookie {
      headers[field.name.canonicalName] = field.value
    }
    // The connector may come from the cache: before a signature is refused, read it again,
    // so that a secret rotated a moment ago is already accepted.
    var refusal = signatureRefusal(request, body: body, connector: connector, now: now)
    if refusal != nil, let fresh = try await connectors.connector(code, now: now) {
      connector = fresh
      refusal = signatureRefusal(request, body: body, connector: fresh, now: now)
    }
    let evidence = CallbackEvidence(
      method: request.method.rawValue, query: request.uri.query ?? "", headers: headers, body: body, receivedAt: now)
    switch connector.kind {
    case .standardWebhooks, .standardWebhooksEd25519:
      guard request.method == .post else { throw FeePayError(.notFound, "This connector takes POST callbacks.") }
      return try await standardWebhooks(
        context, connector: connector, refusal: refusal, body: body, evidence: evidence, now: now)
    case .vnpay:
      return try await vnpay(
        request, context, connector: connector, refusal: refusal, body: body, evidence: evidence, now: now)
    }
  }

  /// Why the callback's signature does not verify with `connector`'s material, or `nil` if
  /// it does (a VNPay request whose parameters cannot be read is answered as malformed later,
  /// not refused here). Checked once per callback, twice only when a cached connector refuses.
  func signatureRefusal(_ request: Request, body: [UInt8], connector: Connector, now: Date) -> String? {
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
      guard let parameters = Self.vnpayParameters(request, body: body) else { return nil }
      return VNPay.verify(parameters, secrets: connector.secrets) ? nil : "vnp_SecureHash"
    }
  }

  static func verifier(_ connector: Connector) -> StandardWebhooks.Verifier {
    connector.kind == .standardWebhooks
      ? .hmac(connector.secrets.compactMap(StandardWebhooks.secretBytes))
      : .ed25519(connector.publicKeys.compactMap { StandardWebhooks.keyBytes($0, prefix: "whpk_") })
  }

  /// VNPay's parameters: the query string, then a form body's fields.
  static func vnpayParameters(_ request: Request, body: [UInt8]) -> [(String, String)]? {
    var raw = request.uri.query ?? ""
    if request.method == .post, let type = request.headers[.contentType],
      type.hasPrefix("application/x-www-form-urlencoded")
    {
      raw += (raw.isEmpty ? "" : "&") + String(decoding: body, as: UTF8.self)
    }
    return FormQuery.parse(raw)
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
    _ request: Request, _ context: AppRequestContext, connector: Connector, refusal: String?, body: [UInt8],
    evidence: CallbackEvidence, now: Date
  ) async throws -> Response {
    func answer(_ a: VNPay.Answer, _ outcome: String) -> Response {
      metrics.callback(connector: connector.code, outcome: outcome)
      return .json(Array(a.json.utf8))
    }
    guard let parameters = Self.vnpayParameters(request, body: body) else { return answer(.unknownError, "malformed") }
    if let refusal {
      context.logger.warning(
        "callback refused", metadata: ["connector": .string(connector.code), "reason": .string(refusal)])
      return answer(.invalidSignature, "refused")
    }
    let p = Dictionary(parameters, uniquingKeysWith: { a, _ in a })
    guard let ref = p["vnp_TxnRef"], let amountText = p["vnp_Amount"], let hundredths = Int64(amountText),
      hundredths > 0, hundredths % 100 == 0, let response = p["vnp_ResponseCode"],
      let status = p["vnp_TransactionStatus"], let txn = p["vnp_TransactionNo"], !txn.isEmpty, txn.utf8.count <= 64,
      let payDate = p["vnp_PayDate"].flatMap(VNPay.parseDate), p["vnp_TmnCode"] == connector.tmnCode
    else { return answer(.unknownError, "malformed") }
    let amount = hundredths / 100
    guard response == "00", status == "00" else {
      try await payments.recordFailedAttempt(
        connector: connector.code, paymentCode: PaymentCode(parsing: ref)?.value, bankTxnID: txn,
        responseCode: response,
        amount: amount, evidence: evidence, now: now)
      return answer(.confirmed, "failed_attempt")
    }
    let notification = PaymentNotification(
      bankTxnID: txn, amount: amount, paidAt: payDate, paymentCode: ref, memo: p["vnp_OrderInfo"])
    let outcome = try await payments.record(
      notification, connector: connector, evidence: evidence, now: now, amountBeforeState: true)
    switch outcome {
    case .accepted: return answer(.confirmed, "accepted")
    case .duplicate: return answer(.alreadyConfirmed, "duplicate")
    case .exception(_, let kind):
      switch kind {
      case .amountMismatch, .amountMismatchInStatement: return answer(.invalidAmount, "exception")
      case .alreadyPaid, .invoiceNotOpen: return answer(.alreadyConfirmed, "exception")
      default: return answer(.orderNotFound, "exception")
      }
    }
  }
}

/// `application/x-www-form-urlencoded` and query strings, keeping order and repeats.
enum FormQuery {
  static func parse(_ text: String) -> [(String, String)]? {
    var result: [(String, String)] = []
    for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      guard let key = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else { return nil }
      result.append((key, value))
    }
    return result
  }

  static func decode(_ s: Substring) -> String? {
    s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
  }
}

extension HTTPField.Name {
  static let webhookID = Self("webhook-id")!
  static let webhookTimestamp = Self("webhook-timestamp")!
  static let webhookSignature = Self("webhook-signature")!
}
