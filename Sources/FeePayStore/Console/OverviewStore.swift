public import FeePayCore
public import Foundation
import Logging
import PostgresNIO

/// What the console's pages read that the API has no route for: the day's overview, the
/// business days' checklists, exceptions with their agency and evidence, open invoices to
/// apply money to, statements and the audit log. Each answer is one query. `agencies` empty
/// means every agency; otherwise only their money.
public struct OverviewStore: Sendable {
  let database: Database

  public init(database: Database) { self.database = database }

  // MARK: Today

  public struct Collection: Sendable {
    public var connector: String
    public var agency: String
    public var count: Int
    public var amount: Int64
  }

  /// Open exceptions of one kind by age: under a day, under a week, older.
  public struct OpenExceptions: Sendable {
    public var kind: ExceptionKind
    public var underADay: Int
    public var underAWeek: Int
    public var older: Int
  }

  public struct MissingStatement: Sendable {
    public var connector: String
    public var day: BusinessDate
  }

  public struct DayFigures: Sendable {
    public var day: BusinessDate
    public var collected: Int64
    public var payments: Int
    public var exceptions: Int
  }

  public struct Overview: Sendable {
    public var collections: [Collection]
    /// Connectors that took money on an open day before today without sending its statement.
    public var missingStatements: [MissingStatement]
    public var openExceptions: [OpenExceptions]
    public var unclosedDays: [BusinessDate]
    /// The last 30 days, oldest first, every day present.
    public var days: [DayFigures]
  }

  /// The Today page in one query: each part of the overview is a branch of one `UNION ALL`,
  /// its rows tagged with the part they belong to (`c`ollections, `m`issing statements,
  /// `o`pen exceptions by age, `u`nclosed days, the 30 `d`ays of the chart), put in order here.
  public func overview(today: BusinessDate, now: Date, agencies: Set<String>) async throws -> Overview {
    let d = today.description
    let all = agencies.isEmpty
    let codes = Array(agencies).sorted()
    let rows = try await database.query(
      """
      SELECT 'c', p.connector_code, i.agency_code, count(*)::int, 0, 0, sum(p.amount)::bigint
      FROM payments p JOIN invoices i ON i.id = p.invoice_id
      WHERE p.business_date = \(d)::date AND (\(all) OR i.agency_code = ANY(\(codes)))
      GROUP BY 2, 3
      UNION ALL
      SELECT DISTINCT 'm', p.connector_code, p.business_date::text, 0, 0, 0, 0::bigint FROM payments p
      WHERE p.business_date < \(d)::date AND p.business_date >= \(d)::date - 30
        AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.connector_code = p.connector_code AND s.business_date = p.business_date)
        AND NOT EXISTS (SELECT 1 FROM business_days b WHERE b.business_date = p.business_date)
      UNION ALL
      SELECT 'o', e.kind, '', count(*) FILTER (WHERE e.created_at > \(now) - interval '1 day')::int,
             count(*) FILTER (WHERE e.created_at <= \(now) - interval '1 day' AND e.created_at > \(now) - interval '7 days')::int,
             count(*) FILTER (WHERE e.created_at <= \(now) - interval '7 days')::int, 0::bigint
      FROM payment_exceptions e LEFT JOIN invoices i ON i.id = e.invoice_id
      WHERE e.status = 'open' AND (\(all) OR i.agency_code = ANY(\(codes)))
      GROUP BY 2
      UNION ALL
      (SELECT DISTINCT 'u', business_date::text, '', 0, 0, 0, 0::bigint FROM (
        SELECT business_date FROM payments WHERE business_date < \(d)::date
        UNION SELECT business_date FROM payment_exceptions WHERE business_date < \(d)::date) x
      WHERE NOT EXISTS (SELECT 1 FROM business_days b WHERE b.business_date = x.business_date)
      ORDER BY 2 DESC LIMIT 31)
      UNION ALL
      SELECT 'd', g.day::date::text, '',
        (SELECT count(*)::int FROM payments p JOIN invoices i ON i.id = p.invoice_id
           WHERE p.business_date = g.day::date AND (\(all) OR i.agency_code = ANY(\(codes)))),
        (SELECT count(*)::int FROM payment_exceptions e LEFT JOIN invoices i ON i.id = e.invoice_id
           WHERE e.business_date = g.day::date AND (\(all) OR i.agency_code = ANY(\(codes)))),
        0,
        (SELECT coalesce(sum(p.amount), 0)::bigint FROM payments p JOIN invoices i ON i.id = p.invoice_id
           WHERE p.business_date = g.day::date AND (\(all) OR i.agency_code = ANY(\(codes))))
      FROM generate_series(\(d)::date - 29, \(d)::date, interval '1 day') AS g(day)
      """)
    var o = Overview(collections: [], missingStatements: [], openExceptions: [], unclosedDays: [], days: [])
    var open: [ExceptionKind: OpenExceptions] = [:]
    for row in rows {
      let (part, a, b, n1, n2, n3, amount) = try row.decode((String, String, String, Int, Int, Int, Int64).self)
      switch part {
      case "c": o.collections.append(Collection(connector: a, agency: b, count: n1, amount: amount))
      case "m":
        o.missingStatements.append(
          MissingStatement(connector: a, day: try .stored(b, column: "payments.business_date")))
      case "o":
        let kind = try ExceptionKind.stored(a, column: "payment_exceptions.kind")
        open[kind] = OpenExceptions(kind: kind, underADay: n1, underAWeek: n2, older: n3)
      case "u": o.unclosedDays.append(try .stored(a, column: "business_date"))
      default:
        o.days.append(
          DayFigures(day: try .stored(a, column: "day"), collected: amount, payments: n1, exceptions: n2))
      }
    }
    o.collections.sort { ($0.connector, $0.agency) < ($1.connector, $1.agency) }
    o.missingStatements.sort { ($1.day, $0.connector) < ($0.day, $1.connector) }
    o.openExceptions = ExceptionKind.allCases.compactMap { open[$0] }
    o.unclosedDays.sort(by: >)
    o.days.sort { $0.day < $1.day }
    return o
  }

  // MARK: Business days

  /// A business day's checklist: what must be green before it closes.
  public struct DayStatus: Sendable {
    public var day: BusinessDate
    public var payments: Int
    public var collected: Int64
    public var openExceptions: Int
    /// Connectors that took money (or raised exceptions) that day without a statement.
    public var missingStatements: [String]
    public var closedAt: Date?
    public var closedBy: String?
    public var forced: Bool
    public var note: String?
  }

  static let dayColumns = """
    d.day::text,
    (SELECT count(*)::int FROM payments p WHERE p.business_date = d.day),
    (SELECT coalesce(sum(amount), 0)::bigint FROM payments p WHERE p.business_date = d.day),
    (SELECT count(*)::int FROM payment_exceptions e WHERE e.business_date = d.day AND e.status = 'open'),
    ARRAY(SELECT DISTINCT x.connector_code FROM (
        SELECT connector_code FROM payments WHERE business_date = d.day
        UNION SELECT connector_code FROM payment_exceptions WHERE business_date = d.day) x
      WHERE NOT EXISTS (SELECT 1 FROM settlements s WHERE s.connector_code = x.connector_code AND s.business_date = d.day)
      ORDER BY 1),
    b.closed_at, b.closed_by, coalesce(b.forced, false), b.note
    """

  static func decodeDay(_ row: PostgresRow) throws -> DayStatus {
    let (day, payments, collected, open, missing, closedAt, closedBy, forced, note) = try row.decode(
      (String, Int, Int64, Int, [String], Date?, String?, Bool, String?).self)
    return DayStatus(
      day: try .stored(day, column: "business_date"), payments: payments, collected: collected, openExceptions: open,
      missingStatements: missing, closedAt: closedAt, closedBy: closedBy, forced: forced, note: note)
  }

  /// The days of the last `count` days (up to `today`) on which anything happened or that
  /// were closed, newest first.
  public func days(upTo today: BusinessDate, count: Int = 31) async throws -> [DayStatus] {
    let d = today.description
    return try await database.query(
      """
      SELECT \(unescaped: Self.dayColumns) FROM (
        SELECT business_date AS day FROM payments WHERE business_date > \(d)::date - \(count)::int AND business_date <= \(d)::date
        UNION SELECT business_date FROM payment_exceptions WHERE business_date > \(d)::date - \(count)::int AND business_date <= \(d)::date
        UNION SELECT business_date FROM business_days WHERE business_date > \(d)::date - \(count)::int AND business_date <= \(d)::date
        UNION SELECT \(d)::date) d
      LEFT JOIN business_days b ON b.business_date = d.day
      ORDER BY d.day DESC
      """
    ).map(Self.decodeDay)
  }

  public func day(_ day: BusinessDate) async throws -> DayStatus {
    let rows = try await database.query(
      """
      SELECT \(unescaped: Self.dayColumns) FROM (SELECT \(day.description)::date AS day) d
      LEFT JOIN business_days b ON b.business_date = d.day
      """)
    return try Self.decodeDay(rows[0])
  }

  // MARK: Exceptions

  public struct ExceptionFilter: Sendable {
    public var status: String?
    public var kind: ExceptionKind?
    public var connector: String?
    public var businessDate: BusinessDate?
    public var after: String?
    public var limit = 50

    public init() {}
  }

  /// An exception and the agency of its invoice (none when no invoice matched).
  public struct ExceptionRow: Sendable {
    public var exception: PaymentException
    public var agency: String?
  }

  public func exceptions(_ f: ExceptionFilter, agencies: Set<String>) async throws -> ([ExceptionRow], hasMore: Bool) {
    let all = agencies.isEmpty
    let codes = Array(agencies).sorted()
    let rows = try await database.query(
      """
      SELECT \(unescaped: PaymentExceptionRows.columns),
        (SELECT agency_code FROM invoices i WHERE i.id = invoice_id) AS agency
      FROM payment_exceptions
      WHERE (\(f.status)::text IS NULL OR status = \(f.status))
        AND (\(f.kind?.rawValue)::text IS NULL OR kind = \(f.kind?.rawValue))
        AND (\(f.connector)::text IS NULL OR connector_code = \(f.connector))
        AND (\(f.businessDate?.description)::date IS NULL OR business_date = \(f.businessDate?.description)::date)
        AND (\(f.after)::text IS NULL OR id > \(f.after))
        AND (\(all) OR invoice_id IN (SELECT id FROM invoices WHERE agency_code = ANY(\(codes))))
      ORDER BY id LIMIT \(f.limit + 1)
      """)
    let items = try rows.prefix(f.limit).map {
      ExceptionRow(
        exception: try PaymentExceptionRows.decode($0), agency: try $0.makeRandomAccess()["agency"].decode(String?.self)
      )
    }
    return (items, rows.count > f.limit)
  }

  /// What raised an exception: the bank's callback as received, or the statement line.
  public struct Evidence: Sendable {
    public var callbackReceivedAt: Date?
    public var callbackBody: String?
    public var settlementID: String?
    public var lineNo: Int?
    public var lineBookedAt: Date?
    public var lineMemo: String?
    public var linePayerAccount: String?
    public var lineAmount: Int64?
  }

  public func exception(id: String) async throws -> (ExceptionRow, Evidence)? {
    let rows = try await database.query(
      """
      SELECT \(unescaped: PaymentExceptionRows.columns),
        (SELECT agency_code FROM invoices i WHERE i.id = invoice_id) AS agency,
        (SELECT received_at FROM callbacks c WHERE c.id = callback_id) AS cb_at,
        (SELECT convert_from(body, 'UTF8') FROM callbacks c WHERE c.id = callback_id) AS cb_body,
        l.l_settlement, l.l_no, l.l_at, l.l_memo, l.l_account, l.l_amount
      FROM payment_exceptions
      LEFT JOIN LATERAL (
        SELECT s.settlement_id AS l_settlement, s.line_no AS l_no, s.booked_at AS l_at, s.memo AS l_memo,
          s.payer_account AS l_account, s.amount AS l_amount
        FROM settlement_lines s WHERE s.exception_id = payment_exceptions.id LIMIT 1
      ) l ON true
      WHERE id = \(id)
      """)
    guard let row = rows.first else { return nil }
    let r = row.makeRandomAccess()
    return (
      ExceptionRow(exception: try PaymentExceptionRows.decode(row), agency: try r["agency"].decode(String?.self)),
      Evidence(
        callbackReceivedAt: try r["cb_at"].decode(Date?.self), callbackBody: try r["cb_body"].decode(String?.self),
        settlementID: try r["l_settlement"].decode(String?.self), lineNo: try r["l_no"].decode(Int?.self),
        lineBookedAt: try r["l_at"].decode(Date?.self), lineMemo: try r["l_memo"].decode(String?.self),
        linePayerAccount: try r["l_account"].decode(String?.self), lineAmount: try r["l_amount"].decode(Int64?.self))
    )
  }

  /// An open invoice the money of an exception could pay.
  public struct OpenInvoice: Sendable {
    public var id: String
    public var paymentCode: String
    public var dossier: String
    public var agency: String
    public var payer: String
    public var total: Int64
  }

  /// Open invoices whose payment code or dossier is `text`, or whose total is `text` đồng.
  public func openInvoices(matching text: String, agencies: Set<String>, now: Date) async throws -> [OpenInvoice] {
    let all = agencies.isEmpty
    let amount = Int64(text.filter { $0.isNumber }).flatMap { text.allSatisfy { $0.isNumber || $0 == "." } ? $0 : nil }
    return try await database.query(
      """
      SELECT id, payment_code, dossier_code, agency_code, payer_name, total_amount FROM invoices
      WHERE status = 'open' AND expires_at > \(now)
        AND (upper(payment_code) = upper(\(text)) OR dossier_code = \(text) OR total_amount = \(amount))
        AND (\(all) OR agency_code = ANY(\(Array(agencies).sorted())))
      ORDER BY created_at DESC LIMIT 20
      """
    ).map {
      let (id, code, dossier, agency, payer, total) = try $0.decode(
        (String, String, String, String, String, Int64).self)
      return OpenInvoice(id: id, paymentCode: code, dossier: dossier, agency: agency, payer: payer, total: total)
    }
  }

  // MARK: Reports

  /// What an agency collected under a procedure and fee code: the invoices paid in a period
  /// and the amount of their lines with that fee code.
  public struct CollectionRow: Sendable {
    public var agency: String
    public var procedure: String
    public var feeCode: String
    public var invoices: Int
    public var amount: Int64
  }

  /// Invoices paid from `from` to `to` (Vietnamese calendar days, inclusive) by agency,
  /// procedure and fee code, of `agencies` only unless it is empty. An invoice refunded later
  /// still counts here: it was collected; the refund is its own movement in the ledger.
  public func collections(from: BusinessDate, to: BusinessDate, agencies: Set<String>) async throws
    -> [CollectionRow]
  {
    let end = to.start.addingTimeInterval(86_400)
    return try await database.query(
      """
      SELECT i.agency_code, i.procedure_code, l.fee_code, count(DISTINCT i.id)::int, sum(l.amount)::bigint
      FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
      WHERE i.paid_at >= \(from.start) AND i.paid_at < \(end)
        AND (\(agencies.isEmpty) OR i.agency_code = ANY(\(agencies.sorted())))
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      """
    ).map {
      let (agency, procedure, fee, count, amount) = try $0.decode((String, String, String, Int, Int64).self)
      return CollectionRow(agency: agency, procedure: procedure, feeCode: fee, invoices: count, amount: amount)
    }
  }

  // MARK: Statements

  public struct Statement: Sendable {
    public var id: String
    public var connector: String
    public var businessDate: BusinessDate
    public var format: String
    public var lineCount: Int
    public var totalAmount: Int64
    public var importedAt: Date
    public var importedBy: String
  }

  /// Statements, newest first, before the cursor `before` (an id).
  public func statements(before: String?, limit: Int = 50) async throws -> ([Statement], hasMore: Bool) {
    let rows = try await database.query(
      """
      SELECT id, connector_code, business_date::text, format, line_count, total_amount, imported_at, imported_by
      FROM settlements WHERE (\(before)::text IS NULL OR id < \(before)) ORDER BY id DESC LIMIT \(limit + 1)
      """)
    let items = try rows.prefix(limit).map {
      let (id, connector, day, format, lines, total, at, by) = try $0.decode(
        (String, String, String, String, Int, Int64, Date, String).self)
      return Statement(
        id: id, connector: connector, businessDate: try .stored(day, column: "settlements.business_date"),
        format: format, lineCount: lines, totalAmount: total, importedAt: at, importedBy: by)
    }
    return (items, rows.count > limit)
  }

  // MARK: Audit

  public struct AuditEntry: Sendable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var action: String
    public var subject: String
    public var summary: String
    /// The entry's link in the hash chain, once sealed.
    public var seq: Int64?
    public var hash: [UInt8]?
  }

  public struct AuditFilter: Sendable {
    public var actor: String?
    public var action: String?
    public var from: Date?
    public var to: Date?
    public var before: Int64?
    public var limit = 100

    public init() {}
  }

  /// The audit log, newest first; `actor` and `action` match as prefixes (`staff:`, `exception.`).
  public func audit(_ f: AuditFilter) async throws -> ([AuditEntry], hasMore: Bool) {
    let rows = try await database.query(
      """
      SELECT a.id, a.at, a.actor, a.action, a.subject, a.summary::text, c.seq, c.hash
      FROM audit_log a LEFT JOIN audit_chain c ON c.entry_id = a.id
      WHERE (\(f.actor)::text IS NULL OR starts_with(a.actor, \(f.actor)))
        AND (\(f.action)::text IS NULL OR starts_with(a.action, \(f.action)))
        AND (\(f.from)::timestamptz IS NULL OR a.at >= \(f.from))
        AND (\(f.to)::timestamptz IS NULL OR a.at < \(f.to))
        AND (\(f.before)::bigint IS NULL OR a.id < \(f.before))
      ORDER BY a.id DESC LIMIT \(f.limit + 1)
      """)
    let items = try rows.prefix(f.limit).map {
      let (id, at, actor, action, subject, summary, seq, hash) = try $0.decode(
        (Int64, Date, String, String, String, String, Int64?, Data?).self)
      return AuditEntry(
        id: id, at: at, actor: actor, action: action, subject: subject, summary: summary, seq: seq,
        hash: hash.map(Array.init))
    }
    return (items, rows.count > f.limit)
  }
}
