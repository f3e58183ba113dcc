import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird

/// The console's records: reports over a period (remittance, receipt usage, collections),
/// receipts (search, the receipt with its verification, the replace form) and the ledger
/// (balances as of a moment, an account's entries). Each page is one query; an accountant
/// restricted to agencies sees only theirs.
struct ConsoleRecords: Sendable {
  let settlements: SettlementStore
  let overview: OverviewStore
  let receipts: ReceiptStore
  let ledger: LedgerStore
  let clock: any WallClock

  func add(to signedIn: RouterGroup<ConsoleContext>) {
    signedIn.get("reports") { request, context in try await report(request, context) }
    signedIn.get("reports.csv") { request, context in try await reportCSV(request, context) }
    signedIn.get("receipts") { request, context in try await receiptSearch(request, context) }
    signedIn.get("receipts/:id") { request, context in try await receipt(request, context, problem: nil) }
    signedIn.post("receipts/:id/replace") { request, context in try await replace(request, context) }
    signedIn.get("ledger") { request, context in try await balances(request, context) }
    signedIn.get("ledger/entries") { request, context in try await entries(request, context) }
  }

  // MARK: Reports

  enum Report: String, CaseIterable {
    case remittance, usage, collections
  }

  /// A report's period from `from` and `to` (default: this month so far); at most 366 days.
  struct Period {
    var from: BusinessDate
    var to: BusinessDate

    static func parse(from fromText: String?, to toText: String?, today: BusinessDate) -> Period? {
      func day(_ text: String?, otherwise: BusinessDate) -> BusinessDate? {
        guard let text, !text.isEmpty else { return otherwise }
        return BusinessDate(text)
      }
      guard let from = day(fromText, otherwise: today.firstOfMonth), let to = day(toText, otherwise: today),
        from <= to, from.days(to: to) < 366
      else { return nil }
      let period = Period(from: from, to: to)
      return period
    }
  }

  /// A report's value, written one way on the page and another in the CSV.
  enum Cell {
    case text(String)
    case count(Int)
    case money(Int64)
    /// A business day, with a remark the page adds after it (the CSV has its own column).
    case day(BusinessDate, remark: String?)
    /// A value only the CSV has (the page says it in a remark).
    case flag(Bool)

    var page: String? {
      switch self {
      case .text(let v): v
      case .count(let n): String(n)
      case .money(let amount): CitizenFormat.money(amount)
      case .day(let d, let remark): d.vietnamese + (remark.map { " (\($0))" } ?? "")
      case .flag: nil
      }
    }

    var csv: String {
      switch self {
      case .text(let v): csvField(v)
      case .count(let n): String(n)
      case .money(let amount): String(amount)
      case .day(let d, _): d.description
      case .flag(let b): b ? "true" : "false"
      }
    }

    var isNumber: Bool {
      switch self {
      case .count, .money: true
      default: false
      }
    }

    var amount: Int64? {
      if case .money(let amount) = self { return amount }
      return nil
    }
  }

  /// A report: its columns (the page's label, nil for a CSV-only column, and the CSV's name)
  /// and its rows, from which the page, the CSV and the total (of the money column) are written.
  struct Table {
    var columns: [(label: String?, csv: String)]
    var rows: [[Cell]]
    var notes: [String] = []

    var total: Int64 { get throws { try MoneyMath.sum(rows.flatMap { $0.compactMap(\.amount) }) } }

    var csv: String {
      get throws {
        var text = columns.map(\.csv).joined(separator: ",") + "\r\n"
        for row in rows { text += row.map(\.csv).joined(separator: ",") + "\r\n" }
        let money = rows.first?.firstIndex { $0.amount != nil } ?? columns.count - 1
        var total = Array(repeating: "", count: columns.count)
        total[0] = "TOTAL"
        total[money] = String(try self.total)
        return text + total.joined(separator: ",") + "\r\n"
      }
    }
  }

  func table(_ report: Report, _ period: Period, _ person: StaffMember, _ t: [String: String]) async throws -> Table {
    switch report {
    case .remittance:
      let rows = try await settlements.remittance(from: period.from, to: period.to, agencies: person.agencies)
      var table = Table(
        columns: [
          (t["day"]!, "business_date"), (t["agency"]!, "agency_code"), (t["fee_code"]!, "fee_code"),
          (t["amount"]!, "amount"), (nil, "day_closed"),
        ],
        rows: rows.map {
          [
            .day($0.businessDate, remark: $0.closed ? nil : t["report_open_day"]!), .text($0.agencyCode),
            .text($0.feeCode), .money($0.amount), .flag($0.closed),
          ]
        })
      if rows.contains(where: { !$0.closed }) { table.notes.append(t["report_open_note"]!) }
      return table
    case .usage:
      let rows = try await receipts.usage(from: period.from, to: period.to, agencies: person.agencies)
      return Table(
        columns: [
          (t["agency"]!, "agency_code"), (t["template"]!, "template_symbol"), (t["series"]!, "series"),
          (t["first_number"]!, "first_number"), (t["last_number"]!, "last_number"), (t["issued"]!, "issued"),
          (t["replaced"]!, "replaced"), (t["cancelled"]!, "cancelled"), (t["amount"]!, "total_amount"),
        ],
        rows: rows.map {
          [
            .text($0.agencyCode), .text($0.templateSymbol), .text($0.series), .text($0.firstNumber),
            .text($0.lastNumber), .count($0.issued), .count($0.replaced), .count($0.cancelled), .money($0.totalAmount),
          ]
        })
    case .collections:
      let rows = try await overview.collections(from: period.from, to: period.to, agencies: person.agencies)
      return Table(
        columns: [
          (t["agency"]!, "agency_code"), (t["procedure"]!, "procedure_code"), (t["fee_code"]!, "fee_code"),
          (t["invoices"]!, "invoices"), (t["amount"]!, "amount"),
        ],
        rows: rows.map {
          [.text($0.agency), .text($0.procedure), .text($0.feeCode), .count($0.invoices), .money($0.amount)]
        },
        notes: [t["report_collections_note"]!])
    }
  }

  func report(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person
    var page = ConsolePage(request, context, title: "nav_reports", section: "reports")
    let t = page.t
    let q = request.uri.queryParameters
    let today = BusinessDate(containing: clock.now)
    let report = q.get("report").flatMap { Report(rawValue: String($0)) } ?? .remittance
    page["reports"] = Report.allCases.map { r -> [String: Any] in
      var o: [String: Any] = ["value": r.rawValue, "label": t["report_\(r.rawValue)"]!]
      if r == report { o["selected"] = true }
      return o
    }
    page["from"] = q.get("from").map { String($0) } ?? today.firstOfMonth.description
    page["to"] = q.get("to").map { String($0) } ?? today.description
    guard let period = Period.parse(from: q.get("from"), to: q.get("to"), today: today) else {
      page["problem"] = t["report_period_bad"]!
      return page.response("reports", status: .unprocessableContent, request: request)
    }
    let table = try await table(report, period, person, t)
    page["heading"] = "\(t["report_\(report.rawValue)"]!) · \(period.from.vietnamese) – \(period.to.vietnamese)"
    let shown = table.columns.compactMap(\.label)
    let first = table.rows.first?.filter { $0.page != nil }
    page["header"] = shown.enumerated().map { i, label in ["label": label, "num": first?[i].isNumber ?? false] }
    page["rows"] = table.rows.map { row in
      let cells = row.filter { $0.page != nil }
      return [
        "first": cells[0].page!, "cells": cells.dropFirst().map { ["v": $0.page!, "num": $0.isNumber] },
      ] as [String: Any]
    }
    page["total"] = CitizenFormat.money(try table.total)
    page["total_span"] = String(shown.count - 1)
    page["notes"] = table.notes
    page["csv"] = "/console/reports.csv?report=\(report.rawValue)&from=\(period.from)&to=\(period.to)"
    return page.response("reports", request: request)
  }

  func reportCSV(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person
    let q = request.uri.queryParameters
    guard let report = q.get("report").flatMap({ Report(rawValue: String($0)) }),
      let period = Period.parse(from: q.get("from"), to: q.get("to"), today: BusinessDate(containing: clock.now))
    else {
      throw FeePayError(.validationFailed, "A report is ?report=remittance|usage|collections&from=YYYY-MM-DD&to=…")
    }
    let table = try await table(report, period, person, ConsoleText.en)
    let csv = try table.csv
    return .csv(csv, filename: "\(report.rawValue)-\(period.from)-\(period.to).csv")
  }

  // MARK: Receipts

  func receiptSearch(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person
    var page = ConsolePage(request, context, title: "nav_receipts", section: "receipts")
    let t = page.t
    let q = request.uri.queryParameters
    let text = (q.get("q").map { String($0) } ?? "").trimmingCharacters(in: .whitespaces)
    page["q"] = text
    guard !text.isEmpty else { return page.response("receipts", request: request) }
    let before = q.get("before").flatMap { IDGenerator.isWellFormed(String($0), kind: .receipt) ? String($0) : nil }
    let (found, more) = try await receipts.search(
      String(text.prefix(200)), agencies: person.agencies, before: before)
    page["searched"] = true
    page["rows"] = found.map {
      [
        "href": "/console/receipts/\($0.id)", "symbol": "\($0.templateSymbol) · \($0.series)", "number": $0.number,
        "agency": $0.agencyCode, "dossier": $0.dossier, "payer": $0.payerName,
        "amount": CitizenFormat.money($0.totalAmount), "at": CitizenFormat.vietnamTime($0.issuedAt),
        "status": t["receipt_\($0.status)"] ?? $0.status,
      ]
    }
    if more, let last = found.last {
      let encoded = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
      page["next"] = "/console/receipts?q=\(encoded)&before=\(last.id)"
    }
    return page.response("receipts", request: request)
  }

  /// A receipt an agency-restricted person may open: their agencies' only (404 otherwise).
  func visibleReceipt(_ id: String, _ person: StaffMember) async throws -> Receipt {
    guard let receipt = try await receipts.receipt(id: id, portal: nil),
      person.sees(agency: receipt.content["agency"]?["code"]?.stringValue ?? "")
    else { throw FeePayError(.notFound, "There is no receipt \(id) that you may see.") }
    return receipt
  }

  func receipt(
    _ request: Request, _ context: ConsoleContext, problem: String?, status: HTTPResponse.Status = .ok
  ) async throws -> Response {
    let person = try context.person
    let receipt = try await visibleReceipt(try context.parameters.require("id"), person)
    var page = ConsolePage(request, context, title: "receipt_title", section: "receipts")
    let t = page.t
    let c = receipt.content
    let (valid, _, reason) = try await receipts.verify(receipt)
    page["r"] = CitizenPages.known([
      "id": receipt.id, "template": c["template_symbol"]?.stringValue, "series": c["series"]?.stringValue,
      "number": c["number"]?.stringValue, "agency": c["agency"]?["name"]?.stringValue,
      "agency_code": c["agency"]?["code"]?.stringValue, "payer": c["payer"]?["name"]?.stringValue,
      "payer_id": c["payer"]?["id_number"]?.stringValue, "dossier": c["dossier_code"]?.stringValue,
      "procedure": c["procedure_code"]?.stringValue, "total": CitizenFormat.money(c["total_amount"]?.intValue ?? 0),
      "issued_at": c["issued_at"]?.stringValue.flatMap(Timestamp.parse).map(CitizenFormat.vietnamTime),
      "lookup": c["lookup_code"]?.stringValue, "public": c["lookup_code"]?.stringValue.map { "/receipts/\($0)" },
      "status": t["receipt_\(receipt.status)"] ?? receipt.status, "invoice": receipt.invoiceID,
      "replaces": c["replaces"]?.stringValue, "replaced_by": receipt.replacedBy,
    ])
    page["lines"] = (c["lines"]?.arrayValue ?? []).map {
      [
        "fee": $0["fee_code"]?.stringValue ?? "", "description": $0["description"]?.stringValue ?? "",
        "quantity": String($0["quantity"]?.intValue ?? 0), "amount": CitizenFormat.money($0["amount"]?.intValue ?? 0),
      ]
    }
    page["verdict"] = valid ? ["ok": true, "text": t["verify_ok"]!] : ["text": "\(t["verify_bad"]!) \(reason ?? "")"]
    if receipt.status == "issued", ConsolePages.writes(person) {
      page["replace_url"] = "/console/receipts/\(receipt.id)/replace"
      page["payer_name"] = c["payer"]?["name"]?.stringValue ?? ""
      page["payer_id_number"] = c["payer"]?["id_number"]?.stringValue ?? ""
    }
    if request.uri.queryParameters.get("replaced") != nil { page["notice"] = t["replaced_notice"]! }
    if let problem { page["problem"] = problem }
    return page.response("receipt", status: status, request: request)
  }

  func replace(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person(in: ConsoleRoutes.writers)
    let id = try context.parameters.require("id")
    _ = try await visibleReceipt(id, person)
    let form = try await request.form(context)
    let t = ConsoleText.table(PageLanguage.console(request))
    let idNumber = form["payer_id_number"].flatMap { $0.isEmpty ? nil : $0 }
    switch ReceiptCorrection.check(reason: form["reason"], payerName: form["payer_name"], payerIDNumber: idNumber) {
    case .failure(let refused):
      let problem = refused.parts.map { t["replace_bad_\($0)"]! }.joined(separator: " ")
      return try await receipt(request, context, problem: problem, status: .unprocessableContent)
    case .success(let correction):
      do {
        let issued = try await receipts.replace(id: id, correction, actor: person.principal.actor, now: clock.now)
        return .seeOther("/console/receipts/\(issued.id)?replaced=1")
      } catch let error as FeePayError where error.code == .conflict {
        return try await receipt(request, context, problem: error.detail, status: .conflict)
      }
    }
  }

  // MARK: Ledger

  /// Whether an account is one the person may see: every account for the unrestricted,
  /// otherwise only their agencies' `fees_payable:<agency>:…` accounts.
  static func sees(_ person: StaffMember, account: String) -> Bool {
    guard !person.agencies.isEmpty else { return true }
    let parts = account.split(separator: ":")
    return parts.count == 3 && parts[0] == "fees_payable" && person.agencies.contains(String(parts[1]))
  }

  func balances(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person
    var page = ConsolePage(request, context, title: "nav_ledger", section: "ledger")
    let t = page.t
    let asked = request.uri.queryParameters.get("as_of").map { String($0) }
    page["as_of"] = asked ?? VietnamLocalTime.format(clock.now)
    guard let asOf = asked == nil ? clock.now : asked.flatMap(VietnamLocalTime.parse) else {
      page["problem"] = t["as_of_bad"]!
      return page.response("ledger", status: .unprocessableContent, request: request)
    }
    let rows = try await ledger.balances(asOf: asOf).filter { Self.sees(person, account: $0.account) }
    page["rows"] = rows.map {
      [
        "account": $0.account, "kind": t["kind_\($0.kind.rawValue)"]!, "debit": CitizenFormat.money($0.debit),
        "credit": CitizenFormat.money($0.credit), "balance": CitizenFormat.money($0.balance),
        "href":
          "/console/ledger/entries?account=\($0.account.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")",
      ]
    }
    page["when"] = CitizenFormat.vietnamTime(asOf)
    if person.agencies.isEmpty {
      let debit = try MoneyMath.sum(rows.map(\.debit))
      let credit = try MoneyMath.sum(rows.map(\.credit))
      page["debit"] = CitizenFormat.money(debit)
      page["credit"] = CitizenFormat.money(credit)
      page["balanced"] = debit == credit
      page["totals"] = true
    }
    return page.response("ledger", request: request)
  }

  func entries(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let person = try context.person
    var page = ConsolePage(request, context, title: "entries_title", section: "ledger")
    let q = request.uri.queryParameters
    let account = q.get("account").flatMap { $0.isEmpty ? nil : String($0) }
    guard account.map({ Self.sees(person, account: $0) }) ?? person.agencies.isEmpty else {
      throw FeePayError(.notFound, "There is no account \(account ?? "") that you may see.")
    }
    let after = q.get("after").flatMap { Int64($0) }
    let (rows, more) = try await ledger.entries(account: account, after: after, limit: 50)
    page["account"] = account
    page["rows"] = rows.map {
      [
        "at": CitizenFormat.vietnamTime($0.createdAt), "day": $0.businessDate.vietnamese, "journal": $0.journalID,
        "kind": $0.kind, "reference": $0.reference, "account": $0.account,
        "debit": $0.debit == 0 ? "" : CitizenFormat.money($0.debit),
        "credit": $0.credit == 0 ? "" : CitizenFormat.money($0.credit),
      ]
    }
    if more, let last = rows.last {
      let a = account.map { "account=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&" } ?? ""
      page["next"] = "/console/ledger/entries?\(a)after=\(last.id)"
    }
    return page.response("entries", request: request)
  }
}
