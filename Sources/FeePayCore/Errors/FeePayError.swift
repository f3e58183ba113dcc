/// One field or parameter that failed validation.
///
/// `pointer` is an RFC 6901 JSON Pointer into the request body (`/lines/0/unit_amount`);
/// `parameter` names a query parameter or header instead. Exactly one of them is set.
public struct FieldError: Sendable, Hashable, JSONRepresentable {
  public var pointer: String?
  public var parameter: String?
  public var detail: String

  public init(pointer: String, _ detail: String) {
    self.pointer = pointer
    self.parameter = nil
    self.detail = detail
  }

  public init(parameter: String, _ detail: String) {
    self.pointer = nil
    self.parameter = parameter
    self.detail = detail
  }

  /// `{"pointer": …, "detail": …}` or `{"parameter": …, "detail": …}`.
  public var jsonValue: JSONValue {
    var members: [String: JSONValue] = ["detail": .string(detail)]
    if let pointer { members["pointer"] = .string(pointer) }
    if let parameter { members["parameter"] = .string(parameter) }
    return .object(members)
  }
}

/// The error vocabulary of FeePay, shared by every layer.
///
/// Each case of ``Code`` has one meaning and one HTTP status (the server maps it); `detail`
/// is a sentence written for the client and never contains secrets or internal state.
public struct FeePayError: Error, Sendable, CustomStringConvertible {
  /// A stable, machine-readable error code (the `code` member of a problem document).
  public enum Code: String, Sendable, CaseIterable {
    case malformedRequest = "malformed_request"
    case unauthenticated
    case forbidden
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case conflict
    case invoiceNotOpen = "invoice_not_open"
    case idempotencyRequestInProgress = "idempotency_request_in_progress"
    case idempotencyKeyReused = "idempotency_key_reused"
    case statementAlreadyImported = "statement_already_imported"
    case statementInvalid = "statement_invalid"
    case dayClosed = "day_closed"
    case dayNotReconciled = "day_not_reconciled"
    /// A business day that has not begun yet (in Vietnam) cannot be closed.
    case dayNotOver = "day_not_over"
    /// The person approving a resolution proposed it (four eyes).
    case samePerson = "same_person"
    /// An exception's resolution already waits for approval.
    case proposalPending = "proposal_pending"
    /// There is no proposal to approve or withdraw.
    case noProposal = "no_proposal"
    case payloadTooLarge = "payload_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    case validationFailed = "validation_failed"
    case rateLimited = "rate_limited"
    /// The server's disk has no room for the file now (507); nothing was changed.
    case insufficientStorage = "insufficient_storage"
    case unavailable
    case configuration = "configuration_error"
    case internalError = "internal_error"
  }

  public var code: Code
  public var detail: String
  public var errors: [FieldError]

  public init(_ code: Code, _ detail: String, errors: [FieldError] = []) {
    self.code = code
    self.detail = detail
    self.errors = errors
  }

  public var description: String { "\(code.rawValue): \(detail)" }

  public static func validation(_ errors: [FieldError]) -> FeePayError {
    let detail =
      errors.count == 1
      ? "\(errors[0].pointer ?? errors[0].parameter ?? "request"): \(errors[0].detail)"
      : "\(errors.count) fields are invalid."
    return FeePayError(.validationFailed, detail, errors: errors)
  }

  public static func notFound(_ what: String) -> FeePayError {
    FeePayError(.notFound, "No \(what) with that id is visible to this key.")
  }
}
