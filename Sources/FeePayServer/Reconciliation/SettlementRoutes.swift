import Crypto
import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Statements in, reconciliation out; exceptions resolved; days closed; remittance.
struct SettlementRoutes: Sendable {
  let settlements: SettlementStore
  let authenticator: Authenticator
  let clock: any WallClock
  let ids: IDGenerator
  let maxStatementBytes: Int
  let spool: Spool
  let uploads: UploadGate

  static let readers: Set<Role> = [.accountant, .auditor, .admin]
  static let writers: Set<Role> = [.accountant, .admin]

  func add(to router: Router<AppRequestContext>) {
    let writing = router.group("v1").add(middleware: authenticator.requiring(Self.writers))
    writing.post("settlements") { request, context in try await upload(request, context) }
    writing.post("exceptions/:id/resolve") { request, context in try await resolve(request, context) }
    writing.post("exceptions/:id/approve") { _, context in try await approve(context) }
    writing.post("exceptions/:id/withdraw") { request, context in try await withdraw(request, context) }
    writing.post("business-days/:date/close") { request, context in try await close(request, context) }
    let reading = router.group("v1").add(middleware: authenticator.requiring(Self.readers))
    reading.get("settlements/:id") { _, context in
      guard let summary = try await settlements.summary(id: try context.parameters.require("id")) else {
        throw FeePayError.notFound("settlement")
      }
      return Response.encoded(summary)
    }
    reading.get("settlements/:id/items") { request, context in try await items(request, context) }
    reading.get("settlements/:id/report.csv") { request, context in try await report(request, context) }
    reading.get("reports/remittance") { request, _ in try await remittance(request) }
  }

  func upload(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    let principal = try context.principal
    let p = request.uri.queryParameters
    var errors: [FieldError] = []
    let connector = p.get("connector") ?? ""
    if connector.isEmpty { errors.append(FieldError(parameter: "connector", "is required")) }
    let day = p.get("business_date").flatMap(BusinessDate.init)
    if day == nil { errors.append(FieldError(parameter: "business_date", "must be a date YYYY-MM-DD")) }
    guard let format = Self.format(contentType: request.headers[.contentType]) else {
      throw FeePayError(
        .unsupportedMediaType,
        "Send text/csv (FeePay's CSV or the connector's mapping) or application/xml (camt.053/054).")
    }
    guard errors.isEmpty, let day else { throw FeePayError.validation(errors) }
    if let length = request.headers[.contentLength].flatMap(Int.init), length > maxStatementBytes {
      throw FeePayError(.payloadTooLarge, "A statement is at most \(maxStatementBytes) bytes.")
    }

    return try await uploads.run {
      // Stream the body to the spool, hashing it on the way.
      let file = try spool.create("statement")
      defer { file.remove() }
      var hasher = SHA256()
      var size = 0
      for try await buffer in request.body {
        size += buffer.readableBytes
        guard size <= maxStatementBytes else {
          throw FeePayError(.payloadTooLarge, "A statement is at most \(maxStatementBytes) bytes.")
        }
        try buffer.withUnsafeReadableBytes { bytes throws(FeePayError) in
          hasher.update(bufferPointer: bytes)
          try file.write(bytes)
        }
      }
      try file.close()
      do {
        let summary = try await settlements.importStatement(
          file.url, format: format, connector: connector, businessDate: day, sha256: hasher.finalize().lowercaseHex,
          spool: spool,
          uploader: SettlementStore.Uploader(actor: principal.actor, isPerson: principal.person != nil), now: clock.now)
        return Response.encoded(summary, status: .created)
      } catch let error as StatementError {
        throw FeePayError(
          .statementInvalid, error.description, errors: [FieldError(parameter: "body", error.description)])
      }
    }
  }

  /// The statement format a `Content-Type` names, or `nil` if FeePay does not read it.
  static func format(contentType: String?) -> StatementImporter.Format? {
    let media =
      contentType?.lowercased().split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    switch media {
    case "text/csv", "application/csv": return .csv
    case "application/xml", "text/xml": return .camt
    default: return nil
    }
  }

  func items(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    let id = try context.parameters.require("id")
    guard try await settlements.summary(id: id) != nil else { throw FeePayError.notFound("settlement") }
    let p = request.uri.queryParameters
    var errors: [FieldError] = []
    let category = p.get("category")
    if let category, !SettlementStore.categories.contains(category) || category == "missing_in_bank" {
      errors.append(FieldError(parameter: "category", "must be a statement line category"))
    }
    let limit = Cursor.limit(p.get("limit"), errors: &errors)
    let after = Cursor.after(p.get("cursor"), errors: &errors) { Int($0) } ?? 0
    if !errors.isEmpty { throw FeePayError.validation(errors) }
    let rows = try await settlements.items(settlement: id, category: category, afterLine: after, limit: limit + 1)
    let page = Array(rows.prefix(limit))
    return .encoded(
      Page(data: page, nextCursor: rows.count > limit ? page.last.map { Cursor.make(after: String($0.lineNo)) } : nil))
  }

  /// Every line with its category, for the accountant's spreadsheet.
  func report(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    let id = try context.parameters.require("id")
    guard try await settlements.summary(id: id) != nil else { throw FeePayError.notFound("settlement") }
    let csv = try await ReportCSV.statement(id, from: settlements)
    var headers = HTTPFields()
    headers[.contentType] = "text/csv; charset=utf-8"
    headers[.contentDisposition] = "attachment; filename=\"\(id).csv\""
    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: csv)))
  }

  func resolve(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    var request = request
    let principal = try context.principal
    let id = try context.parameters.require("id")
    let body = try JSONValue.parse(try await request.jsonBody(limit: context.maxUploadSize))
    guard case .object = body else { throw FeePayError(.malformedRequest, "The request body must be a JSON object.") }
    var errors: [FieldError] = []
    let action = body["action"]?.stringValue.flatMap(ResolutionAction.init(rawValue:))
    if action == nil {
      errors.append(
        FieldError(
          pointer: "/action",
          "must be one of \(ResolutionAction.allCases.map(\.rawValue).joined(separator: ", "))"))
    }
    let note = body["note"]?.stringValue?.nfc.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    if note.isEmpty || note.count > 1000 || note.containsControlCharacters {
      errors.append(FieldError(pointer: "/note", "is required (1-1000 characters)"))
    }
    guard errors.isEmpty, let action else { throw FeePayError.validation(errors) }
    guard IDGenerator.isWellFormed(id, kind: .exception) else { throw FeePayError.notFound("exception") }
    do {
      switch try await settlements.resolve(
        id: id, action: action, invoiceID: body["invoice_id"]?.stringValue, note: note, actor: principal.actor,
        now: clock.now)
      {
      case .resolved(let resolved): return .encoded(resolved)
      case .proposed(let proposed): return .encoded(proposed, status: .accepted)
      }
    } catch let refusal as ResolveRefusal {
      throw Self.problem(refusal)
    }
  }

  /// The second person's approval of an exception's proposal: the resolution takes effect.
  func approve(_ context: AppRequestContext) async throws -> Response {
    let principal = try context.principal
    let id = try context.parameters.require("id")
    guard IDGenerator.isWellFormed(id, kind: .exception) else { throw FeePayError.notFound("exception") }
    do {
      return .encoded(try await settlements.approve(id: id, actor: principal.actor, now: clock.now))
    } catch let refusal as ResolveRefusal {
      throw Self.problem(refusal)
    }
  }

  /// Withdraws an exception's proposal; an optional note says why.
  func withdraw(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    var request = request
    let principal = try context.principal
    let id = try context.parameters.require("id")
    var note = ""
    if request.headers[.contentLength].flatMap(Int.init) ?? 0 > 0 || request.headers[.contentType] != nil {
      let body = try JSONValue.parse(try await request.jsonBody(limit: context.maxUploadSize))
      guard case .object = body else {
        throw FeePayError(.malformedRequest, "The request body must be a JSON object.")
      }
      if let value = body["note"] {
        guard let text = value.stringValue?.nfc.trimmingCharacters(in: .whitespacesAndNewlines), text.count <= 1000,
          !text.containsControlCharacters
        else { throw FeePayError.validation([FieldError(pointer: "/note", "must be text of at most 1000 characters")]) }
        note = text
      }
    }
    guard IDGenerator.isWellFormed(id, kind: .exception) else { throw FeePayError.notFound("exception") }
    do {
      return .encoded(try await settlements.withdraw(id: id, note: note, actor: principal.actor, now: clock.now))
    } catch let refusal as ResolveRefusal {
      throw Self.problem(refusal)
    }
  }

  /// A refused resolution as the client sees it: which member of its request is concerned.
  static func problem(_ refusal: ResolveRefusal) -> FeePayError {
    switch refusal {
    case .notApplicable(let kind, let action):
      FeePayError(
        .validationFailed, "\(action.rawValue) does not apply to a \(kind.rawValue) exception.",
        errors: [FieldError(pointer: "/action", "does not apply to \(kind.rawValue)")])
    case .invoiceRequired:
      FeePayError.validation([FieldError(pointer: "/invoice_id", "is required for apply_to_invoice")])
    case .amountDiffers(let held, let total):
      FeePayError(
        .validationFailed, "The exception holds \(held) but the invoice is for \(total).",
        errors: [FieldError(pointer: "/invoice_id", "the invoice's total differs from the amount held")])
    case .agencyNotCollected(let connector, let agency):
      FeePayError(
        .validationFailed,
        "Connector \(connector) does not collect for agency \(agency): its money cannot pay this invoice.",
        errors: [
          FieldError(pointer: "/invoice_id", "belongs to an agency the exception's connector does not collect for")
        ])
    case .samePerson(let person):
      FeePayError(
        .samePerson,
        "\(person) proposed this resolution (or uploaded the statement that did); a second person must approve it.")
    case .proposalPending:
      FeePayError(
        .proposalPending, "A resolution of this exception waits for approval; approve or withdraw it first.")
    case .noProposal:
      FeePayError(.noProposal, "Nothing is proposed for this exception; there is nothing to approve or withdraw.")
    }
  }

  func close(_ request: Request, _ context: AppRequestContext) async throws -> Response {
    var request = request
    let principal = try context.principal
    guard let day = BusinessDate(try context.parameters.require("date")) else {
      throw FeePayError.validation([FieldError(parameter: "date", "must be a date YYYY-MM-DD")])
    }
    var force = false
    var note: String?
    if request.headers[.contentLength].flatMap(Int.init) ?? 0 > 0 || request.headers[.contentType] != nil {
      let body = try JSONValue.parse(try await request.jsonBody(limit: context.maxUploadSize))
      if case .bool(let f)? = body["force"] { force = f }
      note = body["note"]?.stringValue?.nfc.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    if force, (note ?? "").isEmpty {
      throw FeePayError.validation([FieldError(pointer: "/note", "is required when force is true")])
    }
    return .encoded(
      try await settlements.closeDay(day, force: force, note: note, actor: principal.actor, now: clock.now))
  }

  func remittance(_ request: Request) async throws -> Response {
    let p = request.uri.queryParameters
    guard let day = p.get("date").flatMap(BusinessDate.init) else {
      throw FeePayError.validation([FieldError(parameter: "date", "must be a date YYYY-MM-DD")])
    }
    let rows = try await settlements.remittance(day)
    let total = try MoneyMath.sum(rows.map(\.amount))
    if p.get("format") == "csv" || request.headers[.accept]?.contains("text/csv") == true {
      let csv = try ReportCSV.remittance(day, rows)
      var headers = HTTPFields()
      headers[.contentType] = "text/csv; charset=utf-8"
      return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: csv)))
    }
    return .encoded(Remittance(businessDate: day, total: total, data: rows))
  }

  /// What each agency owes the State Treasury for a day, per fee code.
  struct Remittance: APIObject {
    var businessDate: BusinessDate
    var total: Int64
    var data: [SettlementStore.RemittanceRow]

    var json: JSONValue {
      ["business_date": .string(businessDate.description), "total": .integer(total), "data": .array(data.map(\.json))]
    }
  }
}

extension SettlementStore.RemittanceRow: APIObject {
  var json: JSONValue {
    ["agency_code": .string(agencyCode), "fee_code": .string(feeCode), "amount": .integer(amount)]
  }
}

extension SettlementStore.Summary: APIObject {
  var json: JSONValue {
    [
      "id": .string(id), "connector": .string(connector), "business_date": .string(businessDate.description),
      "format": .string(format), "line_count": .integer(Int64(lineCount)), "total_amount": .integer(totalAmount),
      "status": .string(status),
      "summary": .object(summary.mapValues { ["count": .integer(Int64($0.count)), "amount": .integer($0.amount)] }),
    ]
  }
}

extension SettlementStore.Item: APIObject {
  var json: JSONValue {
    func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    return [
      "line_no": .integer(Int64(lineNo)), "bank_txn_id": .string(bankTxnID), "payment_code": text(paymentCode),
      "amount": .integer(amount), "currency": .string(currency), "category": .string(category),
      "payment_id": text(paymentID), "invoice_id": text(invoiceID), "exception_id": text(exceptionID),
    ]
  }
}

extension SettlementStore.DayClosure: APIObject {
  var json: JSONValue {
    [
      "business_date": .string(businessDate.description), "closed_at": .string(Timestamp.format(closedAt)),
      "forced": .bool(forced), "open_exceptions": .integer(Int64(openExceptions)),
      "connectors_without_statement": .array(connectorsWithoutStatement.map(JSONValue.string)),
    ]
  }
}
