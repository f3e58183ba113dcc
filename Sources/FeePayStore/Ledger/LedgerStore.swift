public import FeePayCore
public import Foundation
import Logging
public import PostgresNIO

/// The double-entry ledger: journals are posted inside the caller's transaction; the
/// database checks at commit that every journal balances and refuses changes to postings.
public struct LedgerStore: Sendable {
  let database: Database
  let ids: IDGenerator

  public init(database: Database, ids: IDGenerator) {
    self.database = database
    self.ids = ids
  }

  /// The columns every write of the ledger names (here and in the one-statement accepted
  /// payment, `AcceptPaymentStatement`, which posts its journal in the same round trip).
  static let accountColumns = "code, kind"
  static let journalColumns = "id, kind, reference, business_date, created_at"
  static let postingColumns = "journal_id, account_code, debit, credit"

  /// Posts `journal` for `reference` (the payment, exception or statement line it records).
  @discardableResult
  public func post(
    _ journal: JournalDraft, reference: String, businessDate: BusinessDate, on c: PostgresConnection, now: Date
  ) async throws -> String {
    precondition(journal.isBalanced, "unbalanced journal \(journal)")
    let id = ids.make(.journal)
    let logger = database.logger
    let accounts = Dictionary(journal.postings.map { ($0.account.code, $0.account.kind.rawValue) }) { a, _ in a }
    try await c.query(
      """
      INSERT INTO ledger_accounts (\(unescaped: Self.accountColumns))
      SELECT * FROM unnest(\(Array(accounts.keys))::text[], \(Array(accounts.values))::text[])
      ON CONFLICT (code) DO NOTHING
      """, logger: logger)
    try await c.query(
      """
      INSERT INTO ledger_journals (\(unescaped: Self.journalColumns))
      VALUES (\(id), \(journal.kind), \(reference), \(businessDate.description)::date, \(now))
      """, logger: logger)
    try await c.query(
      """
      INSERT INTO ledger_postings (\(unescaped: Self.postingColumns))
      SELECT \(id), a, d, cr FROM unnest(\(journal.postings.map(\.account.code))::text[],
        \(journal.postings.map(\.debit))::bigint[], \(journal.postings.map(\.credit))::bigint[]) AS t(a, d, cr)
      """, logger: logger)
    return id
  }

  /// An account's debits, credits and balance (on the account's normal side).
  public struct Balance: Sendable {
    public var account: String
    public var kind: LedgerAccount.Kind
    public var debit: Int64
    public var credit: Int64
    public var balance: Int64
  }

  /// Every account's debits, credits and balance from journals created up to `asOf`.
  public func balances(asOf: Date) async throws -> [Balance] {
    let rows = try await database.query(
      """
      SELECT a.code, a.kind, coalesce(sum(p.debit), 0)::bigint, coalesce(sum(p.credit), 0)::bigint
      FROM ledger_accounts a
      JOIN ledger_postings p ON p.account_code = a.code
      JOIN ledger_journals j ON j.id = p.journal_id AND j.created_at <= \(asOf)
      GROUP BY a.code, a.kind ORDER BY a.code
      """)
    return try rows.map {
      let (code, kindText, debit, credit) = try $0.decode((String, String, Int64, Int64).self)
      let kind = try LedgerAccount.Kind.stored(kindText, column: "ledger_accounts.kind")
      let debitNormal = kind == .asset || kind == .expense
      return Balance(
        account: code, kind: kind, debit: debit, credit: credit, balance: debitNormal ? debit - credit : credit - debit)
    }
  }

  /// One posting with its journal.
  public struct Entry: Sendable {
    public var id: Int64
    public var journalID: String
    public var kind: String
    public var reference: String
    public var account: String
    public var debit: Int64
    public var credit: Int64
    public var businessDate: BusinessDate
    public var createdAt: Date

  }

  /// Postings, oldest first, optionally of one account; `after` is the last id seen.
  public func entries(account: String?, after: Int64?, limit: Int) async throws -> ([Entry], hasMore: Bool) {
    let rows = try await database.query(
      """
      SELECT p.id, j.id, j.kind, j.reference, p.account_code, p.debit, p.credit, j.business_date::text, j.created_at
      FROM ledger_postings p JOIN ledger_journals j ON j.id = p.journal_id
      WHERE (\(account)::text IS NULL OR p.account_code = \(account)) AND p.id > \(after ?? 0)
      ORDER BY p.id LIMIT \(limit + 1)
      """)
    let entries = try rows.prefix(limit).map {
      let (id, journal, kind, reference, account, debit, credit, day, created) = try $0.decode(
        (Int64, String, String, String, String, Int64, Int64, String, Date).self)
      return Entry(
        id: id, journalID: journal, kind: kind, reference: reference, account: account, debit: debit, credit: credit,
        businessDate: try .stored(day, column: "ledger_journals.business_date"), createdAt: created)
    }
    return (entries, rows.count > limit)
  }
}
