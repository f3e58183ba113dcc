import Crypto
import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import NIOCore

/// The console's pages behind sign-in: Today, statements, exceptions, business days, the
/// audit log and administration. Handlers gather values; the templates write the HTML.
struct ConsoleRoutes: Sendable {
  let overview: OverviewStore
  let settlements: SettlementStore
  let staff: StaffStore
  let provisioning: ProvisioningStore
  let connectors: ConnectorStore
  let clock: any WallClock
  let maxStatementBytes: Int
  let spool: Spool
  let uploads: UploadGate

  static let writers: Set<Role> = [.accountant, .admin]
  static let overseers: Set<Role> = [.auditor, .admin]

  func add(to signedIn: RouterGroup<ConsoleContext>) {
    signedIn.get("") { request, context in try await today(request, context) }
    signedIn.get("today.json") { request, context in try await todayFigures(request, context) }
    signedIn.get("exceptions") { request, context in try await exceptions(request, context) }
    signedIn.get("exceptions/:id") { request, context in try await exception(request, context, problem: nil) }
    signedIn.post("exceptions/:id/resolve") { request, context in try await resolve(request, context) }
    signedIn.post("exceptions/:id/approve") { request, context in try await approve(request, context) }
    signedIn.post("exceptions/:id/withdraw") { request, context in try await withdraw(request, context) }
    signedIn.get("days") { request, context in try await days(request, context) }
    signedIn.get("days/:date") { request, context in try await day(request, context, problem: nil) }
    signedIn.post("days/:date/close") { request, context in try await close(request, context) }
    signedIn.get("days/:date/remittance.csv") { request, context in try await remittanceCSV(request, context) }
    signedIn.get("statements") { request, context in try await statements(request, context, problem: nil) }
    signedIn.post("statements") { request, context in try await upload(request, context) }
    signedIn.get("statements/:id") { request, context in try await statement(request, context) }
    signedIn.get("statements/:id/report.csv") { request, context in try await statementCSV(request, context) }
    signedIn.get("audit") { request, context in try await audit(request, context) }
    signedIn.get("admin") { request, context in try await admin(request, context) }
  }

  var today: BusinessDate { BusinessDate(containing: clock.now) }

  // MARK: Today

  func today(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person
    var page = ConsolePage(request, context, title: "nav_today", section: "today")
    let t = page.t
    let o = try await overview.overview(today: today, now: clock.now, agencies: person.agencies)
    page["day"] = today.vietnamese
    page["collections"] = o.collections.map {
      [
        "connector": $0.connector, "agency": $0.agency, "count": String($0.count),
        "amount": CitizenFormat.money($0.amount),
      ]
    }
    page["collected"] = CitizenFormat.money(o.collections.reduce(0) { $0 + $1.amount })
    page["missing"] = o.missingStatements.map {
      ["connector": $0.connector, "day": $0.day.vietnamese, "href": "/console/days/\($0.day)"]
    }
    page["open"] = o.openExceptions.map {
      [
        "kind": t["kind_\($0.kind.rawValue)"] ?? $0.kind.rawValue,
        "href": "/console/exceptions?status=open&kind=\($0.kind.rawValue)",
        "day": String($0.underADay), "week": String($0.underAWeek), "older": String($0.older),
      ]
    }
    page["unclosed"] = o.unclosedDays.map { ["day": $0.vietnamese, "href": "/console/days/\($0)"] }
    page["chart"] = Self.chart(o.days, t: t)
    return page.response("today", request: request)
  }

  /// The figures the script refreshes the Today page with (every 30 s).
  func todayFigures(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person
    let o = try await overview.overview(today: today, now: clock.now, agencies: person.agencies)
    let body: JSONValue = [
      "collected": .string(CitizenFormat.money(o.collections.reduce(0) { $0 + $1.amount })),
      "payments": .integer(Int64(o.collections.reduce(0) { $0 + $1.count })),
      "open_exceptions": .integer(Int64(o.openExceptions.reduce(0) { $0 + $1.underADay + $1.underAWeek + $1.older })),
    ]
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    headers[.cacheControl] = "no-store"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.jsonText)))
  }

  /// The 30-day chart's geometry: a bar per day for what was collected (scaled to the
  /// largest day) and a dot for its exceptions, with the same figures for the table.
  static func chart(_ days: [OverviewStore.DayFigures], t: [String: String]) -> [String: Any] {
    let width = 600.0
    let height = 160.0
    let step = width / Double(max(days.count, 1))
    let top = Double(max(days.map(\.collected).max() ?? 0, 1))
    let topExceptions = Double(max(days.map(\.exceptions).max() ?? 0, 1))
    let rows: [[String: Any]] = days.enumerated().map { i, d in
      let h = (Double(d.collected) / top * (height - 10)).rounded()
      return [
        "x": String(format: "%.1f", Double(i) * step + 2), "w": String(format: "%.1f", step - 4),
        "y": String(format: "%.1f", height - h), "h": String(format: "%.1f", h),
        "cx": String(format: "%.1f", Double(i) * step + step / 2),
        "cy": String(format: "%.1f", height - Double(d.exceptions) / topExceptions * (height - 10)),
        "has_exceptions": d.exceptions > 0,
        "day": d.day.vietnamese, "collected": CitizenFormat.money(d.collected), "payments": String(d.payments),
        "exceptions": String(d.exceptions),
      ]
    }
    return [
      "rows": rows, "width": String(Int(width)), "height": String(Int(height)),
      "from": days.first?.day.vietnamese ?? "", "to": days.last?.day.vietnamese ?? "",
      "peak": CitizenFormat.money(Int64(top)),
    ]
  }

  // MARK: Exceptions

  func exceptions(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person
    var page = ConsolePage(request, context, title: "nav_exceptions", section: "exceptions")
    let t = page.t
    let q = request.uri.queryParameters
    var filter = OverviewStore.ExceptionFilter()
    filter.status = q.get("status").flatMap { ["open", "resolved"].contains($0) ? String($0) : nil }
    filter.kind = q.get("kind").flatMap { ExceptionKind(rawValue: String($0)) }
    filter.connector = q.get("connector").flatMap { $0.isEmpty ? nil : String($0) }
    filter.businessDate = q.get("date").flatMap { BusinessDate(String($0)) }
    filter.after = q.get("after").flatMap { IDGenerator.isWellFormed(String($0), kind: .exception) ? String($0) : nil }
    let (rows, more) = try await overview.exceptions(filter, agencies: person.agencies)
    page["rows"] = rows.map { row -> [String: Any] in
      let e = row.exception
      return CitizenPages.known([
        "id": e.id, "href": "/console/exceptions/\(e.id)", "kind": t["kind_\(e.kind.rawValue)"] ?? e.kind.rawValue,
        "status": t["status_\(e.status)"] ?? e.status, "connector": e.connector,
        "amount": CitizenFormat.money(e.amount),
        "day": e.businessDate.vietnamese, "agency": row.agency, "code": e.paymentCode,
      ])
    }
    page["statuses"] = ["", "open", "resolved"].map { s -> [String: Any] in
      var o: [String: Any] = ["value": s, "label": s.isEmpty ? t["all"]! : t["status_\(s)"]!]
      if s == (filter.status ?? "") { o["selected"] = true }
      return o
    }
    page["kinds"] = ([""] + ExceptionKind.allCases.map(\.rawValue)).map { k -> [String: Any] in
      var o: [String: Any] = ["value": k, "label": k.isEmpty ? t["all"]! : t["kind_\(k)"]!]
      if k == (filter.kind?.rawValue ?? "") { o["selected"] = true }
      return o
    }
    page["connector"] = filter.connector
    page["date"] = filter.businessDate?.description
    if more, let last = rows.last {
      var next = request.uri.queryParameters.filter { $0.key != "after" }.map { "\($0.key)=\($0.value)" }
      next.append("after=\(last.exception.id)")
      page["next"] = "/console/exceptions?" + next.joined(separator: "&")
    }
    return page.response("exceptions", request: request)
  }

  /// The exception an agency-restricted person may open: theirs only (404 otherwise, so that
  /// other agencies' ids are not confirmed).
  func visibleException(_ id: String, _ person: StaffMember) async throws -> (
    OverviewStore.ExceptionRow, OverviewStore.Evidence
  ) {
    guard IDGenerator.isWellFormed(id, kind: .exception), let found = try await overview.exception(id: id),
      person.sees(agency: found.0.agency)
    else { throw FeePayError(.notFound, "There is no exception \(id) that you may see.") }
    return found
  }

  func exception(
    _ request: Request, _ context: ConsoleContext, problem: String?,
    status: HTTPResponse.Status = .ok
  ) async throws -> Response {
    let person = try context.person
    let id = try context.parameters.require("id")
    let (row, evidence) = try await visibleException(id, person)
    let e = row.exception
    var page = ConsolePage(request, context, title: "exception_title", section: "exceptions")
    let t = page.t
    page["e"] = CitizenPages.known([
      "id": e.id, "kind": t["kind_\(e.kind.rawValue)"] ?? e.kind.rawValue, "kind_code": e.kind.rawValue,
      "explain": t["explain_\(e.kind.rawValue)"],
      "status": t["status_\(e.status)"] ?? e.status, "connector": e.connector, "amount": CitizenFormat.money(e.amount),
      "day": e.businessDate.vietnamese, "agency": row.agency, "code": e.paymentCode, "txn": e.bankTxnID,
      "invoice": e.invoiceID, "created": CitizenFormat.vietnamTime(e.createdAt),
    ])
    if let r = e.resolution {
      page["resolution"] = CitizenPages.known([
        "action": t["action_\(r.action)"] ?? r.action, "note": r.note, "by": r.by,
        "at": Timestamp.parse(r.at).map(CitizenFormat.vietnamTime) ?? r.at, "approved_by": r.approvedBy,
      ])
    }
    page["evidence"] = CitizenPages.known([
      "callback_at": evidence.callbackReceivedAt.map(CitizenFormat.vietnamTime), "callback_body": evidence.callbackBody,
      "statement": evidence.settlementID, "statement_href": evidence.settlementID.map { "/console/statements/\($0)" },
      "line": evidence.lineNo.map { String($0) }, "line_at": evidence.lineBookedAt.map(CitizenFormat.vietnamTime),
      "line_memo": evidence.lineMemo, "line_account": evidence.linePayerAccount,
      "line_amount": evidence.lineAmount.map(CitizenFormat.money),
    ])
    let q = request.uri.queryParameters
    if q.get("resolved") != nil { page["notice"] = t["resolved_notice"]! }
    if q.get("proposed") != nil { page["notice"] = t["proposed_notice"]! }
    if q.get("withdrawn") != nil { page["notice"] = t["withdrawn_notice"]! }
    if let p = e.proposal {
      var o: [String: Any] = CitizenPages.known([
        "action": t["action_\(p.action.rawValue)"] ?? p.action.rawValue, "invoice": p.invoiceID, "note": p.note,
        "by": p.by, "at": Timestamp.parse(p.at).map(CitizenFormat.vietnamTime) ?? p.at,
      ])
      if ConsolePages.writes(person) {
        o["withdraw_url"] = "/console/exceptions/\(e.id)/withdraw"
        if p.by == person.principal.actor {
          o["own"] = true
        } else {
          o["approve_url"] = "/console/exceptions/\(e.id)/approve"
        }
      }
      page["proposal"] = o
    }
    if e.status == "open", e.proposal == nil, ConsolePages.writes(person) {
      let actions = ResolutionAction.allCases.filter {
        (try? ResolutionPlan.plan(kind: e.kind, action: $0, amount: e.amount, connector: e.connector)) != nil
      }
      page["actions"] = actions.enumerated().map { i, a -> [String: Any] in
        var o: [String: Any] = ["value": a.rawValue, "label": t["action_\(a.rawValue)"]!, "id": "action-\(a.rawValue)"]
        if i == 0 { o["checked"] = true }
        return o
      }
      if actions.contains(.applyToInvoice) {
        page["applies"] = true
        let search = request.uri.queryParameters.get("search").map { String($0) } ?? ""
        page["search"] = search
        if !search.isEmpty {
          let found = try await overview.openInvoices(matching: search, agencies: person.agencies, now: clock.now)
          page["invoices"] = found.map {
            [
              "id": $0.id, "code": $0.paymentCode, "dossier": $0.dossier, "agency": $0.agency, "payer": $0.payer,
              "total": CitizenFormat.money($0.total), "matches": $0.total == e.amount,
            ]
          }
          page["searched"] = true
        }
      }
      page["action_url"] = "/console/exceptions/\(e.id)/resolve"
    }
    if let problem { page["problem"] = problem }
    return page.response("exception", status: status, request: request)
  }

  func resolve(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person(in: Self.writers)
    let id = try context.parameters.require("id")
    _ = try await visibleException(id, person)
    let form = try await request.form(context)
    let t = ConsoleText.table(PageLanguage.console(request))
    guard let action = form["action"].flatMap(ResolutionAction.init(rawValue:)) else {
      return try await exception(request, context, problem: t["resolve_pick"]!, status: .unprocessableContent)
    }
    guard let note = form["note"], note.count <= 2000 else {
      return try await exception(request, context, problem: t["resolve_note"]!, status: .unprocessableContent)
    }
    let outcome: SettlementStore.ResolveOutcome
    do {
      outcome = try await settlements.resolve(
        id: id, action: action, invoiceID: form["invoice_id"], note: note.nfc, actor: person.principal.actor,
        now: clock.now)
    } catch {
      return try await refused(error, request, context, t)
    }
    switch outcome {
    case .resolved: return .seeOther("/console/exceptions/\(id)?resolved=1")
    case .proposed: return .seeOther("/console/exceptions/\(id)?proposed=1")
    }
  }

  /// A second person approves the exception's proposal.
  func approve(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person(in: Self.writers)
    let id = try context.parameters.require("id")
    _ = try await visibleException(id, person)
    _ = try await request.form(context)
    let t = ConsoleText.table(PageLanguage.console(request))
    do {
      _ = try await settlements.approve(id: id, actor: person.principal.actor, now: clock.now)
    } catch {
      return try await refused(error, request, context, t)
    }
    return .seeOther("/console/exceptions/\(id)?resolved=1")
  }

  /// The proposer, or the second person declining, withdraws the exception's proposal.
  func withdraw(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person(in: Self.writers)
    let id = try context.parameters.require("id")
    _ = try await visibleException(id, person)
    let form = try await request.form(context)
    let t = ConsoleText.table(PageLanguage.console(request))
    let note = (form["note"] ?? "").nfc.trimmingCharacters(in: .whitespacesAndNewlines)
    guard note.count <= 2000 else {
      return try await exception(request, context, problem: t["resolve_note"]!, status: .unprocessableContent)
    }
    do {
      _ = try await settlements.withdraw(id: id, note: note, actor: person.principal.actor, now: clock.now)
    } catch {
      return try await refused(error, request, context, t)
    }
    return .seeOther("/console/exceptions/\(id)?withdrawn=1")
  }

  /// The exception page again, saying why a resolution, approval or withdrawal was refused.
  func refused(_ error: any Error, _ request: Request, _ context: ConsoleContext, _ t: [String: String])
    async throws -> Response
  {
    switch error {
    case let refusal as ResolveRefusal:
      let status: HTTPResponse.Status =
        switch refusal {
        case .samePerson, .proposalPending, .noProposal: .conflict
        default: .unprocessableContent
        }
      return try await exception(request, context, problem: ConsoleText.refusal(refusal, t), status: status)
    case let error as FeePayError where error.code != .internalError:
      return try await exception(request, context, problem: error.detail, status: .conflict)
    default:
      throw error
    }
  }

  // MARK: Business days

  func days(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    var page = ConsolePage(request, context, title: "nav_days", section: "days")
    let t = page.t
    page["rows"] = try await overview.days(upTo: today).map { Self.dayValues($0, t) }
    return page.response("days", request: request)
  }

  static func dayValues(_ d: OverviewStore.DayStatus, _ t: [String: String]) -> [String: Any] {
    var o: [String: Any] = CitizenPages.known([
      "date": d.day.description, "day": d.day.vietnamese, "href": "/console/days/\(d.day)",
      "payments": String(d.payments), "collected": CitizenFormat.money(d.collected),
      "open": String(d.openExceptions), "missing": d.missingStatements.joined(separator: ", "),
      "closed_at": d.closedAt.map(CitizenFormat.vietnamTime), "closed_by": d.closedBy, "note": d.note,
    ])
    if d.closedAt != nil { o["closed"] = true }
    if d.forced { o["forced"] = true }
    if d.openExceptions == 0 { o["exceptions_ok"] = true }
    if d.missingStatements.isEmpty { o["statements_ok"] = true }
    if d.openExceptions == 0 && d.missingStatements.isEmpty { o["ready"] = true }
    o["state"] = d.closedAt != nil ? t["day_closed"]! : (o["ready"] != nil ? t["day_ready"]! : t["day_open"]!)
    return o
  }

  func parseDay(_ context: ConsoleContext) throws -> BusinessDate {
    guard let day = BusinessDate(try context.parameters.require("date")) else {
      throw FeePayError(.notFound, "A business day is written YYYY-MM-DD.")
    }
    return day
  }

  func day(
    _ request: Request, _ context: ConsoleContext, problem: String?,
    status: HTTPResponse.Status = .ok
  ) async throws -> Response {
    let person = try context.person
    let day = try parseDay(context)
    var page = ConsolePage(request, context, title: "day_title", section: "days")
    let t = page.t
    let d = try await overview.day(day)
    page["d"] = Self.dayValues(d, t)
    page["exceptions_href"] = "/console/exceptions?status=open&date=\(day)"
    if d.closedAt == nil, ConsolePages.writes(person), person.agencies.isEmpty, day <= today {
      page["can_close"] = true
      page["close_url"] = "/console/days/\(day)/close"
    }
    if d.closedAt != nil {
      let rows = try await settlements.remittance(day)
      page["remittance"] = rows.map {
        ["agency": $0.agencyCode, "fee": $0.feeCode, "amount": CitizenFormat.money($0.amount)]
      }
      page["remittance_total"] = CitizenFormat.money(rows.reduce(0) { $0 + $1.amount })
      page["csv"] = "/console/days/\(day)/remittance.csv"
    }
    if let problem { page["problem"] = problem }
    return page.response("day", status: status, request: request)
  }

  func close(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person(in: Self.writers)
    guard person.agencies.isEmpty else {
      throw FeePayError(.forbidden, "Closing a day closes it for every agency; ask an accountant of all agencies.")
    }
    let day = try parseDay(context)
    let form = try await request.form(context)
    let t = ConsoleText.table(PageLanguage.console(request))
    let force = form["force"] == "1"
    if force && form["note"] == nil {
      return try await self.day(request, context, problem: t["close_note"]!, status: .unprocessableContent)
    }
    do {
      _ = try await settlements.closeDay(
        day, force: force, note: form["note"]?.nfc, actor: person.principal.actor, now: clock.now)
    } catch let error as FeePayError
      where error.code == .dayNotReconciled || error.code == .dayClosed || error.code == .dayNotOver
    {
      return try await self.day(request, context, problem: error.detail, status: .conflict)
    }
    return .seeOther("/console/days/\(day)")
  }

  /// The closed day's remittance per agency and fee code: what is owed to the State
  /// Treasury, the movement of `fees_payable` that day.
  func remittanceCSV(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person
    let day = try parseDay(context)
    let rows = try await settlements.remittance(day).filter { person.sees(agency: $0.agencyCode) }
    let csv = try ReportCSV.remittance(day, rows)
    return .csv(csv, filename: "remittance-\(day).csv")
  }

  // MARK: Statements

  func statements(
    _ request: Request, _ context: ConsoleContext, problem: String?,
    status: HTTPResponse.Status = .ok
  ) async throws -> Response {
    let person = try context.person
    var page = ConsolePage(request, context, title: "nav_statements", section: "statements")
    let before = request.uri.queryParameters.get("before").flatMap {
      IDGenerator.isWellFormed(String($0), kind: .settlement) ? String($0) : nil
    }
    let (rows, more) = try await overview.statements(before: before)
    page["rows"] = rows.map {
      [
        "href": "/console/statements/\($0.id)", "connector": $0.connector, "day": $0.businessDate.vietnamese,
        "format": $0.format, "lines": String($0.lineCount), "total": CitizenFormat.money($0.totalAmount),
        "at": CitizenFormat.vietnamTime($0.importedAt), "by": $0.importedBy,
      ]
    }
    if more, let last = rows.last { page["next"] = "/console/statements?before=\(last.id)" }
    if ConsolePages.writes(person), person.agencies.isEmpty {
      page["connectors"] = try await connectors.list().map { ["code": $0.code] }
      page["upload_url"] = "/console/statements?csrf=\(context.csrf)"
      page["yesterday"] = BusinessDate(containing: clock.now.addingTimeInterval(-86400)).description
    }
    if let problem { page["problem"] = problem }
    return page.response("statements", status: status, request: request)
  }

  /// A statement from the upload form (multipart, without the script) or its file alone
  /// (the script, which shows each stage): streamed to disk, hashed, then the import workflow
  /// of `POST /v1/settlements`. The script's answer is a stream of JSON lines, one per stage
  /// as the server reaches it (``UploadStages``); the form's is a redirect to the summary.
  func upload(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person(in: Self.writers)
    guard person.agencies.isEmpty else {
      throw FeePayError(.forbidden, "Statements cover every agency; ask an accountant of all agencies.")
    }
    let t = ConsoleText.table(PageLanguage.console(request))
    let scripted = request.headers[.csrfToken] != nil
    func refuse(_ message: String, status: HTTPResponse.Status = .unprocessableContent) async throws -> Response {
      if scripted { return UploadStages.refusal(message, status: status) }
      return try await statements(request, context, problem: message, status: status)
    }
    guard let ticket = uploads.ticket() else {
      return try await refuse(uploads.refusal.detail, status: .tooManyRequests)
    }
    let raw: SpoolFile
    let upload: StatementUpload
    do {
      raw = try spool.create("upload")
      do {
        try await StatementUpload.stream(request.body, to: raw, limit: maxStatementBytes + 64 * 1024)
        upload = try StatementUpload(
          raw: raw.url, contentType: request.headers[.contentType] ?? "", query: request.uri, spool: spool)
      } catch {
        StatementUpload.remove(raw.url)
        throw error
      }
    } catch is StatementUpload.TooLarge {
      return try await refuse(t["upload_too_large"]!, status: .contentTooLarge)
    } catch let error as StatementUpload.Refusal {
      return try await refuse(t["upload_\(error.rawValue)"]!)
    } catch let error as FeePayError where error.code == .insufficientStorage {
      return try await refuse(error.detail, status: Problem.status(of: error.code))
    }
    let settlements = self.settlements
    let (actor, now) = (person.principal.actor, clock.now)
    /// The import, reporting the file's bytes read and its lines counted; the files go after.
    let run:
      @Sendable (_ progress: @escaping @Sendable (Int64) -> Void, _ parsed: @escaping @Sendable (Int) -> Void)
        async -> Result<String, any Error> = { progress, parsed in
          defer {
            StatementUpload.remove(upload.file)
            withExtendedLifetime(ticket) {}
          }
          do {
            return .success(
              try await settlements.importStatement(
                upload.file, format: upload.format, connector: upload.connector, businessDate: upload.day,
                sha256: upload.sha256, spool: spool, uploader: SettlementStore.Uploader(actor: actor, isPerson: true),
                now: now, progress: progress, parsed: parsed
              ).id)
          } catch { return .failure(error) }
        }
    @Sendable func explain(_ error: any Error) throws -> (String, HTTPResponse.Status) {
      switch error {
      case let error as StatementError: return (t["upload_refused"]! + " " + error.description, .unprocessableContent)
      case let error as FeePayError where error.code != .internalError: return (error.detail, .conflict)
      default: throw error
      }
    }
    if scripted {
      let size = upload.size
      return UploadStages.response { emit in
        switch await run({ emit(.parse(read: $0, of: size)) }, { emit(.match(lines: $0)) }) {
        case .success(let id): emit(.done(location: "/console/statements/\(id)"))
        case .failure(let error):
          let message = (try? explain(error))?.0 ?? t["error_500"]!
          emit(.refused(message))
        }
      }
    }
    switch await run({ _ in }, { _ in }) {
    case .success(let id): return .seeOther("/console/statements/\(id)")
    case .failure(let error):
      let (message, status) = try explain(error)
      return try await statements(request, context, problem: message, status: status)
    }
  }

  func statement(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let id = try context.parameters.require("id")
    guard let summary = try await settlements.summary(id: id) else {
      throw FeePayError(.notFound, "There is no statement \(id).")
    }
    var page = ConsolePage(request, context, title: "statement_title", section: "statements")
    let t = page.t
    let category = request.uri.queryParameters.get("category").flatMap {
      SettlementStore.categories.contains(String($0)) && $0 != "missing_in_bank" ? String($0) : nil
    }
    let after = request.uri.queryParameters.get("after").flatMap { Int($0) } ?? 0
    page["s"] = [
      "id": summary.id, "connector": summary.connector, "day": summary.businessDate.vietnamese,
      "format": summary.format, "lines": String(summary.lineCount), "total": CitizenFormat.money(summary.totalAmount),
      "csv": "/console/statements/\(id)/report.csv",
    ]
    page["buckets"] = SettlementStore.categories.map { c -> [String: Any] in
      let count = summary.summary[c]?.count ?? 0
      let amount = summary.summary[c]?.amount ?? 0
      var o: [String: Any] = [
        "label": t["category_\(c)"] ?? c, "count": String(count), "amount": CitizenFormat.money(amount),
      ]
      if c != "missing_in_bank" && count > 0 { o["href"] = "/console/statements/\(id)?category=\(c)" }
      if c == category { o["current"] = true }
      return o
    }
    let items = try await settlements.items(settlement: id, category: category, afterLine: after, limit: 51)
    page["items"] = items.prefix(50).map {
      CitizenPages.known([
        "line": String($0.lineNo), "txn": $0.bankTxnID, "code": $0.paymentCode,
        "amount": CitizenFormat.money($0.amount),
        "category": t["category_\($0.category)"] ?? $0.category,
        "exception_href": $0.exceptionID.map { "/console/exceptions/\($0)" },
      ])
    }
    if let category { page["category"] = t["category_\(category)"] ?? category }
    if items.count > 50, let last = items.prefix(50).last {
      page["next"] = "/console/statements/\(id)?\(category.map { "category=\($0)&" } ?? "")after=\(last.lineNo)"
    }
    return page.response("statement", request: request)
  }

  func statementCSV(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let id = try context.parameters.require("id")
    guard try await settlements.summary(id: id) != nil else {
      throw FeePayError(.notFound, "There is no statement \(id).")
    }
    let csv = try await ReportCSV.statement(id, from: settlements)
    return .csv(csv, filename: "statement-\(id).csv")
  }

  // MARK: Oversight

  func audit(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    _ = try context.person(in: Self.overseers)
    var page = ConsolePage(request, context, title: "nav_audit", section: "audit")
    let q = request.uri.queryParameters
    var filter = OverviewStore.AuditFilter()
    filter.actor = q.get("actor").flatMap { $0.isEmpty ? nil : String($0) }
    filter.action = q.get("action").flatMap { $0.isEmpty ? nil : String($0) }
    filter.from = q.get("from").flatMap { BusinessDate(String($0))?.start }
    filter.to = q.get("to").flatMap { BusinessDate(String($0))?.start.addingTimeInterval(86400) }
    filter.before = q.get("before").flatMap { Int64($0) }
    let (rows, more) = try await overview.audit(filter)
    page["rows"] = rows.map {
      [
        "at": CitizenFormat.vietnamTime($0.at), "actor": $0.actor, "action": $0.action, "subject": $0.subject,
        "summary": $0.summary,
      ]
    }
    page["actor"] = filter.actor
    page["action"] = filter.action
    page["from"] = q.get("from").map { String($0) }
    page["to"] = q.get("to").map { String($0) }
    if more, let last = rows.last {
      var next = q.filter { $0.key != "before" }.map { "\($0.key)=\($0.value)" }
      next.append("before=\(last.id)")
      page["next"] = "/console/audit?" + next.joined(separator: "&")
    }
    return page.response("audit", request: request)
  }

  func admin(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    _ = try context.person(in: [.admin])
    var page = ConsolePage(request, context, title: "nav_admin", section: "admin")
    let t = page.t
    page["agencies"] = try await provisioning.agencies().map {
      [
        "code": $0.code, "name": $0.name, "account": "\($0.bankBIN) · \($0.accountNumber)",
        "series": "\($0.receiptTemplate) \($0.receiptSeries)",
      ]
    }
    page["connectors"] = try await connectors.list().map { ["code": $0.code, "kind": $0.kind] }
    page["staff"] = try await staff.list().map {
      [
        "email": $0.email, "name": $0.name, "role": t["role_\($0.role.rawValue)"]!,
        "status": t["staff_\($0.status.rawValue)"]!,
        "agencies": $0.agencies.isEmpty ? t["all_agencies"]! : $0.agencies.sorted().joined(separator: ", "),
      ]
    }
    page["keys"] = try await provisioning.listKeys(portalCode: nil).map {
      CitizenPages.known([
        "prefix": $0.prefix, "role": $0.role.rawValue, "portal": $0.portalCode, "label": $0.label,
        "revoked": $0.revokedAt.map(CitizenFormat.vietnamTime),
      ])
    }
    return page.response("admin", request: request)
  }
}

extension BusinessDate {
  /// `05/12/2026`, as Vietnamese pages write a date.
  var vietnamese: String { String(format: "%02d/%02d/%04d", day, month, year) }
}
