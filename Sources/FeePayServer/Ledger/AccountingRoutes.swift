import FeePayCore
import FeePayStore
import Foundation
import Hummingbird

/// Read-only views for accountants and auditors: payment exceptions and the ledger.
struct AccountingRoutes: Sendable {
  let payments: PaymentStore
  let ledger: LedgerStore
  let authenticator: Authenticator
  let clock: any WallClock

  static let readers: Set<Role> = [.accountant, .auditor, .admin]

  func add(to router: Router<AppRequestContext>) {
    router.group("v1").add(middleware: authenticator.requiring(Self.readers))
      .get("exceptions") { request, _ in try await exceptions(request) }
      .get("ledger/balances") { request, _ in try await balances(request) }
      .get("ledger/entries") { request, _ in try await entries(request) }
  }

  func exceptions(_ request: Request) async throws -> Response {
    let parameters = request.uri.queryParameters
    var query = PaymentStore.ExceptionQuery()
    var errors: [FieldError] = []
    if let status = parameters.get("status") {
      if ["open", "resolved"].contains(status) {
        query.status = status
      } else {
        errors.append(FieldError(parameter: "status", "must be open or resolved"))
      }
    }
    if let connector = parameters.get("connector") { query.connector = connector }
    if let day = parameters.get("business_date") {
      if let date = BusinessDate(day) {
        query.businessDate = date
      } else {
        errors.append(FieldError(parameter: "business_date", "must be a date YYYY-MM-DD"))
      }
    }
    query.limit = Cursor.limit(parameters.get("limit"), errors: &errors)
    query.after = Cursor.after(parameters.get("cursor"), errors: &errors) { $0 }
    if !errors.isEmpty { throw FeePayError.validation(errors) }
    let (items, hasMore) = try await payments.exceptions(query)
    return .encoded(Page(data: items, nextCursor: hasMore ? items.last.map { Cursor.make(after: $0.id) } : nil))
  }

  func balances(_ request: Request) async throws -> Response {
    var asOf = clock.now
    if let text = request.uri.queryParameters.get("as_of") {
      guard let date = Timestamp.parse(text) else {
        throw FeePayError.validation([FieldError(parameter: "as_of", "must be an RFC 3339 timestamp with an offset")])
      }
      asOf = date
    }
    let rows = try await ledger.balances(asOf: asOf)
    return .encoded(BalancesPage(asOf: asOf, data: rows))
  }

  /// Every account's balance as of a moment.
  struct BalancesPage: APIObject {
    var asOf: Date
    var data: [LedgerStore.Balance]

    var json: JSONValue { ["as_of": .string(Timestamp.format(asOf)), "data": .array(data.map(\.json))] }
  }

  func entries(_ request: Request) async throws -> Response {
    let parameters = request.uri.queryParameters
    var errors: [FieldError] = []
    let limit = Cursor.limit(parameters.get("limit"), errors: &errors)
    let after = Cursor.after(parameters.get("cursor"), errors: &errors) { Int64($0) }
    if !errors.isEmpty { throw FeePayError.validation(errors) }
    let (items, hasMore) = try await ledger.entries(account: parameters.get("account"), after: after, limit: limit)
    return .encoded(Page(data: items, nextCursor: hasMore ? items.last.map { Cursor.make(after: String($0.id)) } : nil))
  }
}

extension LedgerStore.Balance: APIObject {
  var json: JSONValue {
    [
      "account": .string(account), "kind": .string(kind.rawValue), "debit": .integer(debit), "credit": .integer(credit),
      "balance": .integer(balance),
    ]
  }
}

extension LedgerStore.Entry: APIObject {
  var json: JSONValue {
    [
      "id": .integer(id), "journal_id": .string(journalID), "kind": .string(kind), "reference": .string(reference),
      "account": .string(account), "debit": .integer(debit), "credit": .integer(credit),
      "business_date": .string(businessDate.description), "created_at": .string(Timestamp.format(createdAt)),
    ]
  }
}
