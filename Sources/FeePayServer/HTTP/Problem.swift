import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An RFC 9457 problem document (`application/problem+json`), FeePay's only error body.
struct Problem: APIObject {
  var type: String
  var title: String
  var status: Int
  var detail: String
  var code: String
  var errors: [FieldError]?
  var requestID: String

  var json: JSONValue {
    var members: [String: JSONValue] = [
      "type": .string(type), "title": .string(title), "status": .integer(Int64(status)), "detail": .string(detail),
      "code": .string(code), "request_id": .string(requestID),
    ]
    if let errors { members["errors"] = .array(errors.map(\.jsonValue)) }
    return .object(members)
  }

  init(_ error: FeePayError, requestID: String) {
    let status = Self.status(of: error.code)
    self.type = "urn:feepay:problem:\(error.code.rawValue)"
    self.title = Self.title(of: error.code)
    self.status = Int(status.code)
    self.detail = error.detail
    self.code = error.code.rawValue
    self.errors = error.errors.isEmpty ? nil : error.errors
    self.requestID = requestID
  }

  static func status(of code: FeePayError.Code) -> HTTPResponse.Status {
    switch code {
    case .malformedRequest: .badRequest
    case .unauthenticated: .unauthorized
    case .forbidden: .forbidden
    case .notFound: .notFound
    case .methodNotAllowed: .methodNotAllowed
    case .conflict, .invoiceNotOpen, .idempotencyRequestInProgress, .statementAlreadyImported, .dayClosed,
      .dayNotReconciled, .dayNotOver, .samePerson, .proposalPending, .noProposal:
      .conflict
    case .payloadTooLarge: .contentTooLarge
    case .unsupportedMediaType: .unsupportedMediaType
    case .validationFailed, .idempotencyKeyReused, .statementInvalid: .unprocessableContent
    case .rateLimited: .tooManyRequests
    case .insufficientStorage: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
    case .unavailable: .serviceUnavailable
    case .configuration, .internalError: .internalServerError
    }
  }

  static func title(of code: FeePayError.Code) -> String {
    switch code {
    case .malformedRequest: "Malformed request"
    case .unauthenticated: "Authentication required"
    case .forbidden: "Forbidden"
    case .notFound: "Not found"
    case .methodNotAllowed: "Method not allowed"
    case .conflict: "Conflict"
    case .invoiceNotOpen: "Invoice is not open"
    case .idempotencyRequestInProgress: "Request in progress"
    case .idempotencyKeyReused: "Idempotency key reused"
    case .statementAlreadyImported: "Statement already imported"
    case .statementInvalid: "Statement cannot be read"
    case .dayClosed: "Business day closed"
    case .dayNotReconciled: "Business day not reconciled"
    case .dayNotOver: "Business day not begun"
    case .samePerson: "A second person must approve"
    case .proposalPending: "A proposal waits for approval"
    case .noProposal: "Nothing proposed"
    case .payloadTooLarge: "Payload too large"
    case .unsupportedMediaType: "Unsupported media type"
    case .validationFailed: "Validation failed"
    case .rateLimited: "Too many requests"
    case .insufficientStorage: "Insufficient storage"
    case .unavailable: "Service unavailable"
    case .configuration, .internalError: "Internal error"
    }
  }

  func response() -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/problem+json"
    if code == FeePayError.Code.unauthenticated.rawValue { headers[.wwwAuthenticate] = "Bearer" }
    if code == FeePayError.Code.rateLimited.rawValue { headers[.retryAfter] = "30" }
    return Response(
      status: HTTPResponse.Status(code: status),
      headers: headers,
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.jsonBytes)))
  }
}

/// Sets the request id (the client's `X-Request-Id` if it is sane, else a new one), logs one
/// line per request, and turns every error into a problem document. Errors FeePay did not
/// expect are logged in full at error level with the request id and answered with a
/// generic 500 that reveals nothing.
struct RequestMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext

  func handle(
    _ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response
  ) async throws -> Response {
    var context = context
    let presented = request.headers[.requestID]
    let requestID =
      presented.flatMap { $0.utf8.count <= 128 && !$0.isEmpty && $0.isPrintableASCII ? $0 : nil }
      ?? Base64URL.encode(randomBytes(12))
    context.requestID = requestID
    context.logger[metadataKey: "request_id"] = .string(requestID)
    let started = ContinuousClock.now
    var response: Response
    do {
      response = try await next(request, context)
    } catch let error as MethodNotAllowed {
      response = Self.problem(for: error.problem, request: request, context: context).response()
      response.headers[.allow] = error.allowed.map(\.rawValue).joined(separator: ", ")
    } catch {
      response = Self.problem(for: error, request: request, context: context).response()
    }
    response.headers[.requestID] = requestID
    let elapsed = ContinuousClock.now - started
    context.logger.info(
      "request",
      metadata: [
        "method": .string(request.method.rawValue), "path": .string(request.uri.path),
        "status": .stringConvertible(response.status.code),
        "duration_ms": .stringConvertible(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000),
      ])
    return response
  }

  static func problem(for error: any Error, request: Request, context: AppRequestContext) -> Problem {
    problem(for: error, requestID: context.requestID, logger: context.logger, maxUploadSize: context.maxUploadSize)
  }

  /// The problem document an error answers (the console renders the same as a page).
  static func problem(for error: any Error, requestID: String, logger: Logger, maxUploadSize: Int) -> Problem {
    switch error {
    case let error as FeePayError:
      if error.code == .internalError || error.code == .configuration {
        logger.error("request failed", metadata: ["error": .string(String(reflecting: error))])
      }
      return Problem(error, requestID: requestID)
    case let error as HTTPError:
      let code: FeePayError.Code
      switch error.status {
      case .contentTooLarge: code = .payloadTooLarge
      case .notFound: code = .notFound
      case .unsupportedMediaType: code = .unsupportedMediaType
      case .unauthorized: code = .unauthenticated
      case .forbidden: code = .forbidden
      case .serviceUnavailable: code = .unavailable
      case .badRequest: code = .malformedRequest
      default:
        logger.error("request failed", metadata: ["error": .string(String(reflecting: error))])
        code = .internalError
      }
      let detail =
        code == .payloadTooLarge
        ? "The request body is larger than \(maxUploadSize) bytes." : error.body ?? Self.title(code)
      return Problem(FeePayError(code, detail), requestID: requestID)
    default:
      let translated = Database.translate(error)
      if let translated = translated as? FeePayError {
        return problem(for: translated, requestID: requestID, logger: logger, maxUploadSize: maxUploadSize)
      }
      logger.error("request failed", metadata: ["error": .string(String(reflecting: error))])
      return Problem(
        FeePayError(.internalError, "Something went wrong on our side; nothing was changed. Quote the request id."),
        requestID: requestID)
    }
  }

  static func title(_ code: FeePayError.Code) -> String { Problem.title(of: code) }
}

extension HTTPField.Name {
  static let requestID = Self("X-Request-Id")!
  static let idempotencyKey = Self("Idempotency-Key")!
  static let idempotentReplayed = Self("Idempotent-Replayed")!
}

/// A known path asked with a method it does not have: `405` with the methods it has in
/// `Allow` (RFC 9110 §15.5.6), rather than the `404` of an unknown path.
struct MethodNotAllowed: Error {
  var allowed: [HTTPRequest.Method]

  var problem: FeePayError {
    FeePayError(
      .methodNotAllowed,
      "This path answers \(allowed.map(\.rawValue).joined(separator: ", ")) only.")
  }

  /// Answers every undeclared method of every path of `router` so. Call it once every route
  /// is added.
  static func answerUndeclaredMethods(of router: Router<AppRequestContext>) {
    let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options, .trace]
    let routes = router.routes
    var declared: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
    for route in routes {
      declared[route.path.description, default: (route.path, [])].methods.insert(route.method)
      // The router answers HEAD wherever it answers GET (`autoGenerateHeadEndpoints`).
      if route.method == .get { declared[route.path.description]!.methods.insert(.head) }
    }
    for (_, entry) in declared {
      let allowed = methods.filter(entry.methods.contains)
      for method in methods where !entry.methods.contains(method) {
        router.on(entry.path, method: method) { _, _ -> Response in throw MethodNotAllowed(allowed: allowed) }
      }
    }
  }
}
