import Crypto
public import FeePayCore
public import Foundation
import Logging
import PostgresNIO

/// E-receipts: gapless numbering, Ed25519 signatures, lookup, replacement and the usage
/// report. Numbers are taken from `receipt_counters` in the same transaction as the
/// receipts that carry them, so a crash mid-batch leaves no gap and no reused number.
public struct ReceiptStore: Sendable {
  let database: Database
  let secrets: SecretBox
  let ids: IDGenerator
  /// Base of `verify_url` (the citizen's receipt page).
  let publicBaseURL: String

  public init(database: Database, secrets: SecretBox, ids: IDGenerator, publicBaseURL: String) {
    self.database = database
    self.secrets = secrets
    self.ids = ids
    var base = publicBaseURL
    while base.hasSuffix("/") { base.removeLast() }
    self.publicBaseURL = base
  }

  var logger: Logger { database.logger }
  public static let jwsType = "feepay-receipt+jwt"

  // MARK: Signing keys

  /// Creates a new signing key; receipts from now on are signed with it. Old keys stay
  /// published so that old receipts keep verifying.
  @discardableResult
  public func rotateKey(actor: String, now: Date) async throws -> String {
    try await database.transaction { c in try await createKey(on: c, actor: actor, now: now) }
  }

  func createKey(on c: PostgresConnection, actor: String, now: Date) async throws -> String {
    let key = Curve25519.Signing.PrivateKey()
    let kid = "rk-\(BusinessDate(containing: now).description)-\(Base64URL.encode(randomBytes(4)))"
    let sealed = Data(secrets.seal(Base64URL.encode(Array(key.rawRepresentation)), context: "signing-key:\(kid)"))
    try await c.query(
      """
      INSERT INTO signing_keys (kid, public_key, private_sealed, created_at)
      VALUES (\(kid), \(Data(key.publicKey.rawRepresentation)), \(sealed), \(now))
      """, logger: logger)
    try await AuditLog.append(on: c, logger: logger, at: now, actor: actor, action: "signing_key.create", subject: kid)
    return kid
  }

  /// Revokes a key whose private half may have leaked: it signs nothing more (the next
  /// receipt is signed with the newest key left, or a new one), and every receipt it signed
  /// reports `revoked_key`. Audited; a key is revoked once.
  public func revokeKey(_ kid: String, reason: String, actor: String, now: Date) async throws {
    let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
    guard (1...500).contains(reason.count) else {
      throw FeePayError(.validationFailed, "a revocation needs a reason (1-500 characters)")
    }
    try await database.transaction { c in
      let rows = try await c.query(
        "SELECT revoked_at FROM signing_keys WHERE kid = \(kid) FOR UPDATE", logger: logger
      ).collect()
      guard let row = rows.first else { throw FeePayError(.notFound, "There is no signing key \(kid).") }
      guard try row.decode(Date?.self) == nil else {
        throw FeePayError(.conflict, "Signing key \(kid) is already revoked.")
      }
      try await c.query(
        "UPDATE signing_keys SET revoked_at = \(now), revoked_reason = \(reason) WHERE kid = \(kid)", logger: logger)
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: actor, action: "signing_key.revoke", subject: kid,
        summary: ["reason": .string(reason)])
    }
  }

  /// The newest key, created on first use (under a transaction-level advisory lock, so two
  /// instances starting at once make one).
  func currentKey(on c: PostgresConnection, now: Date) async throws -> (kid: String, privateKey: [UInt8]) {
    var rows = try await c.query(
      "SELECT kid, private_sealed FROM signing_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1",
      logger: logger
    ).collect()
    if rows.isEmpty {
      try await c.query("SELECT pg_advisory_xact_lock(\(Int64(0x5265_6365_6970_74)))", logger: logger)
      rows = try await c.query(
        "SELECT kid, private_sealed FROM signing_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1",
        logger: logger
      ).collect()
      if rows.isEmpty {
        _ = try await createKey(on: c, actor: "system:receipts", now: now)
        rows = try await c.query(
          "SELECT kid, private_sealed FROM signing_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1",
          logger: logger
        ).collect()
      }
    }
    let (kid, sealed) = try rows[0].decode((String, Data).self)
    let encoded = try secrets.open(Array(sealed), context: "signing-key:\(kid)")
    guard let privateKey = Base64URL.decode(encoded) else {
      throw FeePayError(.internalError, "a signing key is unreadable")
    }
    return (kid, privateKey)
  }

  /// Every key that ever signed, for `/.well-known/jwks.json`, with when it was revoked.
  public func publicKeys() async throws -> [(kid: String, key: [UInt8], revokedAt: Date?)] {
    try await database.query("SELECT kid, public_key, revoked_at FROM signing_keys ORDER BY created_at, kid").map {
      let (kid, key, revokedAt) = try $0.decode((String, Data, Date?).self)
      return (kid, Array(key), revokedAt)
    }
  }

  // MARK: Issuing

  static let pending = """
    SELECT \(InvoiceStore.columns), p.id AS pay_id, p.payer_account AS pay_payer_account, p.connector_code AS pay_connector, p.bank_txn_id AS pay_txn,
           p.paid_at AS pay_paid_at, c.kind AS connector_kind, a.name AS agency_name, a.tax_code AS agency_tax_code,
           a.bank_bin AS agency_bin, a.account_number AS agency_account, a.account_name AS agency_account_name,
           a.receipt_template AS agency_template, a.receipt_series AS agency_series,
           a.address AS agency_address, a.phone AS agency_phone
    FROM invoices i
    JOIN payments p ON p.id = i.payment_id
    JOIN agencies a ON a.code = i.agency_code
    LEFT JOIN connectors c ON c.code = p.connector_code
    """

  struct Pending {
    var invoice: Invoice
    var agency: Agency
    var payment: (id: String, connector: String, method: String, bankTxnID: String, paidAt: Date)
    var payerAccount: String?
  }

  static func decodePending(_ row: PostgresRow) throws -> Pending {
    let invoice = try InvoiceStore.decode(row)
    let r = row.makeRandomAccess()
    let agency = Agency(
      code: invoice.agencyCode, name: try r["agency_name"].decode(String.self),
      taxCode: try r["agency_tax_code"].decode(String.self), bankBIN: try r["agency_bin"].decode(String.self),
      accountNumber: try r["agency_account"].decode(String.self),
      accountName: try r["agency_account_name"].decode(String.self),
      receiptTemplate: try r["agency_template"].decode(String.self),
      receiptSeries: try r["agency_series"].decode(String.self),
      address: try r["agency_address"].decode(String?.self), phone: try r["agency_phone"].decode(String?.self))
    let kind = try r["connector_kind"].decode(String?.self).flatMap(ConnectorKind.init(rawValue:))
    return Pending(
      invoice: invoice, agency: agency,
      payment: (
        try r["pay_id"].decode(String.self), try r["pay_connector"].decode(String.self), ReceiptDraft.method(of: kind),
        try r["pay_txn"].decode(String.self), try r["pay_paid_at"].decode(Date.self)
      ), payerAccount: try r["pay_payer_account"].decode(String?.self))
  }

  /// Issues receipts for up to `limit` paid invoices that have none, in order of payment.
  /// Several issuers may run at once: invoices are claimed with `SKIP LOCKED`, and numbers
  /// come from a counter row updated in this same transaction, so an issuer that dies
  /// mid-batch leaves nothing behind (tested by killing a real `feepay serve`). Answers how
  /// many receipts were issued.
  @discardableResult
  public func issueBatch(now: Date, limit: Int = 200) async throws -> Int {
    try await database.transaction { c in
      let rows = try await c.query(
        """
        \(unescaped: Self.pending)
        WHERE i.status = 'paid' AND i.receipt_id IS NULL
        ORDER BY i.paid_at, i.id LIMIT \(limit) FOR UPDATE OF i SKIP LOCKED
        """, logger: logger
      ).collect()
      guard !rows.isEmpty else { return 0 }
      let pending = try rows.map(Self.decodePending)
      let drafts = pending.map {
        let lookup = ReceiptDraft.makeLookupCode()
        return ReceiptDraft(
          id: ids.make(.receipt), invoice: $0.invoice, agency: $0.agency, payment: $0.payment, lookupCode: lookup,
          verifyURL: "\(publicBaseURL)/receipts/\(lookup)", replaces: nil, payerAccount: $0.payerAccount)
      }
      let issued = try await number(drafts, on: c, now: now)
      try await c.query(
        """
        UPDATE invoices i SET receipt_id = t.r FROM unnest(\(issued.map(\.id))::text[], \(issued.map(\.invoiceID))::text[]) AS t(r, inv)
        WHERE i.id = t.inv
        """, logger: logger)
      return issued.count
    }
  }

  /// The template and series each agency declared for `year` (`feepay agency set-series`).
  func declaredSeries(of agencies: [String], year: Int, on c: PostgresConnection) async throws
    -> [String: (String, String)]
  {
    var declared: [String: (String, String)] = [:]
    for row in try await c.query(
      """
      SELECT agency_code, template_symbol, series FROM receipt_series
      WHERE agency_code = ANY(\(agencies)) AND year = \(year)
      """, logger: logger
    ).collect() {
      let (agency, template, series) = try row.decode((String, String, String).self)
      declared[agency] = (template, series)
    }
    return declared
  }

  /// Numbers, signs and inserts receipts (with their events and audit entries).
  func number(_ drafts: [ReceiptDraft], on c: PostgresConnection, now: Date) async throws -> [Receipt] {
    let year = BusinessDate(containing: now).year
    let agencies = Array(Set(drafts.map(\.agency.code))).sorted()
    let explicit = try await declaredSeries(of: agencies, year: year, on: c)
    func seriesFor(_ agency: Agency) -> (String, String) {
      explicit[agency.code] ?? (agency.receiptTemplate, ReceiptNumbering.series(from: agency.receiptSeries, year: year))
    }
    // Take numbers per counter, in a fixed order so that concurrent issuers cannot deadlock.
    var next: [String: Int] = [:]
    for agency in agencies {
      let sample = drafts.first { $0.agency.code == agency }!.agency
      let (template, series) = seriesFor(sample)
      let count = drafts.filter { $0.agency.code == agency }.count
      try await c.query(
        """
        INSERT INTO receipt_counters (agency_code, template_symbol, series, year, last_number)
        VALUES (\(agency), \(template), \(series), \(year), 0) ON CONFLICT DO NOTHING
        """, logger: logger)
      let rows = try await c.query(
        """
        UPDATE receipt_counters SET last_number = last_number + \(count)
        WHERE agency_code = \(agency) AND template_symbol = \(template) AND series = \(series) AND year = \(year)
        RETURNING last_number
        """, logger: logger
      ).collect()
      next[agency] = try rows[0].decode(Int.self) - count + 1
    }

    let key = try await currentKey(on: c, now: now)
    var receipts: [Receipt] = []
    var numbers: [Int32] = []
    var templates: [String] = []
    var seriesList: [String] = []
    for draft in drafts {
      let (template, series) = seriesFor(draft.agency)
      let n = next[draft.agency.code]!
      next[draft.agency.code] = n + 1
      let content = draft.content(template: template, series: series, number: n, issuedAt: now)
      let jws = try JWS.sign(
        payload: CanonicalJSON.serialize(content), kid: key.kid, type: Self.jwsType, privateKey: key.privateKey)
      receipts.append(
        Receipt(
          id: draft.id, invoiceID: draft.invoice.id, status: "issued", replacedBy: nil, content: content, jws: jws))
      numbers.append(Int32(n))
      templates.append(template)
      seriesList.append(series)
    }
    try await c.query(
      """
      INSERT INTO receipts (id, invoice_id, agency_code, template_symbol, series, year, number, issued_at, total_amount,
                            lookup_code, kid, content, jws, replaces)
      SELECT t.id, t.inv, t.agency, t.template, t.series, \(year), t.n, \(now), t.total, t.lookup, \(key.kid),
             t.content::jsonb, t.jws, nullif(t.replaces, '')
      FROM unnest(\(receipts.map(\.id))::text[], \(receipts.map(\.invoiceID))::text[],
                  \(drafts.map(\.agency.code))::text[], \(templates)::text[], \(seriesList)::text[], \(numbers)::int[],
                  \(drafts.map(\.invoice.totalAmount))::bigint[], \(drafts.map(\.lookupCode))::text[],
                  \(receipts.map { String(decoding: CanonicalJSON.serialize($0.content), as: UTF8.self) })::text[],
                  \(receipts.map(\.jws))::text[], \(drafts.map { $0.replaces ?? "" })::text[])
        AS t(id, inv, agency, template, series, n, total, lookup, content, jws, replaces)
      """, logger: logger)
    try await EventLog.append(
      zip(receipts, drafts).map { receipt, draft in
        EventLog.Entry(
          id: ids.make(.event), portal: draft.invoice.portalCode, type: "receipt.issued", subject: receipt.id,
          data: receipt.object)
      }, at: now, on: c, logger: logger)
    try await AuditLog.append(
      zip(receipts, zip(numbers, seriesList)).map { receipt, numbered in
        AuditLog.Entry(
          actor: "system:receipts", action: "receipt.issue", subject: receipt.id,
          summary: [
            "invoice": .string(receipt.invoiceID), "number": .integer(Int64(numbered.0)), "series": .string(numbered.1),
          ])
      }, at: now, on: c, logger: logger)
    return receipts
  }

  // MARK: Reading

  static let receiptColumns = "id, invoice_id, status, replaced_by, content::text, jws"

  static func decodeReceipt(_ row: PostgresRow) throws -> Receipt {
    let (id, invoice, status, replacedBy, content, jws) = try row.decode(
      (String, String, String, String?, String, String).self)
    return Receipt(
      id: id, invoiceID: invoice, status: status, replacedBy: replacedBy,
      content: try JSONValue.parse(Array(content.utf8)), jws: jws)
  }

  /// A receipt by id; a portal sees only its own invoices' receipts.
  public func receipt(id: String, portal: String?) async throws -> Receipt? {
    guard IDGenerator.isWellFormed(id, kind: .receipt) else { return nil }
    let rows = try await database.query(
      """
      SELECT r.id, r.invoice_id, r.status, r.replaced_by, r.content::text, r.jws FROM receipts r
      JOIN invoices i ON i.id = r.invoice_id
      WHERE r.id = \(id) AND (\(portal)::text IS NULL OR i.portal_code = \(portal))
      """)
    return try rows.first.map(Self.decodeReceipt)
  }

  /// The current receipt of an invoice.
  public func receipt(invoiceID: String, portal: String?) async throws -> Receipt? {
    let rows = try await database.query(
      """
      SELECT r.id, r.invoice_id, r.status, r.replaced_by, r.content::text, r.jws FROM receipts r
      JOIN invoices i ON i.id = r.invoice_id
      WHERE r.invoice_id = \(invoiceID) AND r.status = 'issued' AND (\(portal)::text IS NULL OR i.portal_code = \(portal))
      """)
    return try rows.first.map(Self.decodeReceipt)
  }

  public func receipt(lookupCode: String) async throws -> Receipt? {
    guard (8...32).contains(lookupCode.utf8.count), lookupCode.isPrintableASCII else { return nil }
    let rows = try await database.query(
      "SELECT \(unescaped: Self.receiptColumns) FROM receipts WHERE lookup_code = \(lookupCode)")
    return try rows.first.map(Self.decodeReceipt)
  }

  /// Checks a compact JWS against FeePay's keys and its receipts: valid only if the
  /// signature verifies with a published key and the receipt has not been replaced.
  public func verify(_ compact: String) async throws -> (valid: Bool, receipt: Receipt?, reason: String?) {
    let parsed: JWS.Parsed
    switch try await checkSignature(compact) {
    case .failure(let reason): return (false, nil, reason.message)
    case .success(let p): parsed = p
    }
    guard let id = (try? JSONValue.parse(parsed.payload))?["id"]?.stringValue,
      let receipt = try await receipt(id: id, portal: nil)
    else { return (false, nil, "no such receipt") }
    // A valid signature is not enough: with a leaked key anyone could sign a receipt under
    // a real number. Only the very JWS FeePay issued and stored is that receipt.
    guard receipt.jws == compact else {
      return (false, receipt, "not_stored: this is not the receipt FeePay issued under that number")
    }
    return check(receipt)
  }

  /// The same verdict for a receipt already read from the database (the receipt page).
  public func verify(_ receipt: Receipt) async throws -> (valid: Bool, receipt: Receipt?, reason: String?) {
    if case .failure(let reason) = try await checkSignature(receipt.jws) { return (false, receipt, reason.message) }
    return check(receipt)
  }

  struct Refusal: Error {
    let message: String
  }

  func checkSignature(_ compact: String) async throws -> Result<JWS.Parsed, Refusal> {
    let parsed: JWS.Parsed
    do { parsed = try JWS.parse(compact) } catch { return .failure(Refusal(message: error.rawValue)) }
    guard parsed.header["typ"]?.stringValue == Self.jwsType else {
      return .failure(Refusal(message: "not a FeePay receipt"))
    }
    guard let key = try await publicKeys().first(where: { $0.kid == parsed.kid }) else {
      return .failure(Refusal(message: JWS.Failure.unknownKey.rawValue))
    }
    if key.revokedAt != nil { return .failure(Refusal(message: "revoked_key")) }
    do { try JWS.verify(parsed, publicKey: key.key) } catch { return .failure(Refusal(message: error.rawValue)) }
    return .success(parsed)
  }

  func check(_ receipt: Receipt) -> (valid: Bool, receipt: Receipt?, reason: String?) {
    receipt.status == "issued"
      ? (true, receipt, nil) : (false, receipt, "replaced by \(receipt.replacedBy ?? "a newer receipt")")
  }

  // MARK: Searching

  /// A receipt as the console lists it.
  public struct Found: Sendable {
    public var id: String
    public var agencyCode: String
    public var templateSymbol: String
    public var series: String
    public var number: String
    public var issuedAt: Date
    public var totalAmount: Int64
    public var status: String
    public var dossier: String
    public var payerName: String
    public var lookupCode: String
  }

  /// Receipts whose number (`0000012`, or `12`), lookup code, dossier or payer's name (a
  /// case-insensitive prefix) is `text`, newest first, of `agencies` only unless it is empty;
  /// `before` is the last id seen. One query; each way in is an index.
  public func search(_ text: String, agencies: Set<String>, before: String?, limit: Int = 50) async throws -> (
    [Found], hasMore: Bool
  ) {
    let term = text.trimmingCharacters(in: .whitespaces)
    let number = term.count <= 9 ? Int(term) : nil
    let prefix =
      term.nfc.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
      .replacingOccurrences(of: "_", with: "\\_") + "%"
    let rows = try await database.query(
      """
      SELECT r.id, r.agency_code, r.template_symbol, r.series, r.number, r.issued_at, r.total_amount, r.status,
             i.dossier_code, i.payer_name, r.lookup_code
      FROM receipts r JOIN invoices i ON i.id = r.invoice_id
      WHERE (r.number = \(number) OR r.lookup_code = \(term) OR i.dossier_code = \(term)
             OR (length(\(term)) >= 2 AND lower(i.payer_name COLLATE "und-x-icu") LIKE \(prefix)))
        AND (\(agencies.isEmpty) OR r.agency_code = ANY(\(agencies.sorted())))
        AND (\(before)::text IS NULL OR r.id < \(before))
      ORDER BY r.id DESC LIMIT \(limit + 1)
      """)
    let found = try rows.prefix(limit).map {
      let (id, agency, template, series, number, at, total, status, dossier, payer, lookup) = try $0.decode(
        (String, String, String, String, Int, Date, Int64, String, String, String, String).self)
      return Found(
        id: id, agencyCode: agency, templateSymbol: template, series: series, number: ReceiptNumbering.format(number),
        issuedAt: at, totalAmount: total, status: status, dossier: dossier, payerName: payer, lookupCode: lookup)
    }
    return (found, rows.count > limit)
  }

  // MARK: Replacing

  /// Replaces a wrong receipt: a new number for the corrected content, a reference to the
  /// old receipt, the old one marked replaced; both kept.
  public func replace(id: String, _ correction: ReceiptCorrection, actor: String, now: Date) async throws -> Receipt {
    try await database.transaction { c in
      let rows = try await c.query(
        """
        \(unescaped: Self.pending)
        JOIN receipts r ON r.invoice_id = i.id
        WHERE r.id = \(id) FOR UPDATE OF i
        """, logger: logger
      ).collect()
      guard let row = rows.first else { throw FeePayError.notFound("receipt") }
      let current = try await c.query(
        "SELECT status FROM receipts WHERE id = \(id) FOR UPDATE", logger: logger
      ).collect()
      guard try current[0].decode(String.self) == "issued" else {
        throw FeePayError(.conflict, "Receipt \(id) was already replaced; replace its replacement instead.")
      }
      var pending = try Self.decodePending(row)
      pending.invoice.payer.name = correction.payerName
      pending.invoice.payer.idNumber = correction.payerIDNumber
      let lookup = ReceiptDraft.makeLookupCode()
      let draft = ReceiptDraft(
        id: ids.make(.receipt), invoice: pending.invoice, agency: pending.agency, payment: pending.payment,
        lookupCode: lookup, verifyURL: "\(publicBaseURL)/receipts/\(lookup)", replaces: id,
        payerAccount: pending.payerAccount)
      try await c.query("UPDATE receipts SET status = 'replaced' WHERE id = \(id)", logger: logger)
      let issued = try await number([draft], on: c, now: now)
      try await c.query("UPDATE receipts SET replaced_by = \(draft.id) WHERE id = \(id)", logger: logger)
      try await c.query("UPDATE invoices SET receipt_id = \(draft.id) WHERE id = \(pending.invoice.id)", logger: logger)
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: actor, action: "receipt.replace", subject: id,
        summary: ["replacement": .string(draft.id), "reason": .string(correction.reason)])
      return issued[0]
    }
  }

  /// Sets the series an agency uses for `year` (ahead of time, for the next year).
  public func setSeries(agency: String, year: Int, template: String, series: String, actor: String, now: Date)
    async throws
  {
    if let problem = ProvisioningRules.receiptSeries(series) ?? ProvisioningRules.receiptTemplate(template) {
      throw FeePayError(.validationFailed, problem)
    }
    guard ReceiptNumbering.yearDigits(of: series) == String(format: "%02d", year % 100) else {
      throw FeePayError(
        .validationFailed, "the series for \(year) must carry the digits \(String(format: "%02d", year % 100))")
    }
    try await database.transaction { c in
      try await c.query(
        """
        INSERT INTO receipt_series (agency_code, year, template_symbol, series) VALUES (\(agency), \(year), \(template), \(series))
        ON CONFLICT (agency_code, year) DO UPDATE SET template_symbol = EXCLUDED.template_symbol, series = EXCLUDED.series
        """, logger: logger)
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: actor, action: "agency.set_series", subject: "agency:\(agency)",
        summary: ["year": .integer(Int64(year)), "series": .string(series)])
    }
  }

  // MARK: Reporting

  /// One row of the receipt usage report (form BC26/BLĐT).
  public struct UsageRow: Sendable {
    public var agencyCode: String
    public var templateSymbol: String
    public var series: String
    public var firstNumber: String
    public var lastNumber: String
    public var issued: Int
    public var replaced: Int
    public var cancelled: Int
    public var totalAmount: Int64

  }

  /// Receipts issued from `from` to `to` (Vietnamese calendar days, inclusive).
  public func usage(from: BusinessDate, to: BusinessDate, agency: String?) async throws -> [UsageRow] {
    try await usage(from: from, to: to, agencies: agency.map { [$0] } ?? [])
  }

  /// The same for `agencies` only, unless it is empty.
  public func usage(from: BusinessDate, to: BusinessDate, agencies: Set<String>) async throws -> [UsageRow] {
    let end = Date(timeIntervalSince1970: to.start.timeIntervalSince1970 + 86_400)
    let rows = try await database.query(
      """
      SELECT agency_code, template_symbol, series, min(number), max(number), count(*)::int,
             count(*) FILTER (WHERE status = 'replaced')::int,
             coalesce(sum(total_amount) FILTER (WHERE status = 'issued'), 0)::bigint
      FROM receipts
      WHERE issued_at >= \(from.start) AND issued_at < \(end)
        AND (\(agencies.isEmpty) OR agency_code = ANY(\(agencies.sorted())))
      GROUP BY agency_code, template_symbol, series ORDER BY agency_code, template_symbol, series
      """)
    return try rows.map {
      let (agency, template, series, first, last, issued, replaced, total) = try $0.decode(
        (String, String, String, Int, Int, Int, Int, Int64).self)
      return UsageRow(
        agencyCode: agency, templateSymbol: template, series: series, firstNumber: ReceiptNumbering.format(first),
        lastNumber: ReceiptNumbering.format(last), issued: issued, replaced: replaced, cancelled: 0, totalAmount: total)
    }
  }
}
