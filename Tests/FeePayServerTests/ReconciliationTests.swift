import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing

/// A FeePay CSV statement being written.
struct StatementCSV {
  var rows: [String] = ["bank_txn_id,payment_code,amount,currency,paid_at,payer_account,memo"]

  mutating func add(
    _ txn: String, code: String? = nil, amount: Int64, currency: String = "VND", at: Date, memo: String = ""
  ) {
    rows.append("\(txn),\(code ?? ""),\(amount),\(currency),\(Timestamp.format(at)),0071000999999,\"\(memo)\"")
  }

  var bytes: [UInt8] { Array((rows.joined(separator: "\n") + "\n").utf8) }
}

extension TestClientProtocol {
  func upload(_ bytes: [UInt8], connector: String, day: BusinessDate, key: String, type: String = "text/csv")
    async throws -> TestResponse
  {
    var headers = HTTPFields()
    headers[.authorization] = "Bearer \(key)"
    headers[.contentType] = type
    return try await execute(
      uri: "/v1/settlements?connector=\(connector)&business_date=\(day)", method: .post, headers: headers,
      body: ByteBuffer(bytes: bytes)
    ) { $0 }
  }
}

@Suite(.timeLimit(.minutes(5))) struct ReconciliationTests {
  func balances(_ world: TestWorld, _ account: String) async throws -> Int { try await world.balance(account) }

  /// Two statements of one day that both leave out the same payment hold it as missing in
  /// the bank once: the second finds the exception the first raised (ids come from the id
  /// generator, so the partial unique index on `payment_id` and the lookup decide, not the id).
  @Test func aPaymentMissingFromTwoStatementsIsOneException() async throws {
    try await withFeePay(isolated: true) { world, client in
      world.clock.set(try #require(Timestamp.parse("2026-11-29T12:00:00+07:00")))
      let bank = try await TestBank.hmac(world)
      let day = BusinessDate(containing: world.clock.now)
      let (_, listed, listedTotal) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: listed, amount: listedTotal, txn: "L.1")
      let (missingID, code, total) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: code, amount: total, txn: "MIB.2")
      for txn in ["L.1", "U.9"] {
        var csv = StatementCSV()
        csv.add(txn, code: txn == "L.1" ? listed : nil, amount: txn == "L.1" ? listedTotal : 1000, at: world.clock.now)
        let r = try await client.upload(csv.bytes, connector: bank.code, day: day, key: world.accountantKey)
        #expect(r.status == .created, "\(String(decoding: r.bytes, as: UTF8.self))")
      }
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM payment_exceptions WHERE kind = 'missing_in_bank' AND invoice_id = \(missingID)")
          == 1)
    }
  }

  @Test func everyCategoryInOneFile() async throws {
    try await withFeePay(isolated: true) { world, client in
      // Midday in Hanoi: late-evening payments are carried forward (tested separately).
      world.clock.set(try #require(Timestamp.parse("2026-11-29T12:00:00+07:00")))
      let bank = try await TestBank.hmac(world, signedStatements: true)
      let day = BusinessDate(containing: world.clock.now)
      let now = world.clock.now
      // matched
      let (_, c1, t1) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: c1, amount: t1, txn: "M.1")
      // amount mismatch
      let (_, c2, t2) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: c2, amount: t2, txn: "A.1")
      // recovered: the callback was lost
      let (recoveredID, c3, t3) = try await world.invoice(client)
      // missing in bank: paid by callback, absent from the statement
      let (_, c4, t4) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: c4, amount: t4, txn: "MIB.1")
      var csv = StatementCSV()
      csv.add("M.1", code: c1, amount: t1, at: now)
      csv.add("A.1", code: c2, amount: t2 + 1000, at: now)
      csv.add("R.1", amount: t3, at: now, memo: "NGUYEN VAN AN \(c3.lowercased()) nop le phi")
      csv.add("U.1", amount: 50_000, at: now, memo: "chuyen tien")
      csv.add("M.1", code: c1, amount: t1, at: now)
      csv.add("D.1", amount: -7000, at: now)
      csv.add("E.1", amount: 885, currency: "EUR", at: now)
      let r = try await client.upload(csv.bytes, connector: bank.code, day: day, key: world.accountantKey)
      #expect(r.status == .created, "\(String(decoding: r.bytes, as: UTF8.self))")
      let s = r.json
      #expect(s["line_count"] == 7)
      #expect(s["summary"]?["matched"]?["count"] == 1)
      #expect(s["summary"]?["amount_mismatch"]?["count"] == 1)
      #expect(s["summary"]?["recovered"]?["count"] == 1)
      #expect(s["summary"]?["missing_in_feepay"]?["count"] == 1)
      #expect(s["summary"]?["duplicate_in_bank"]?["count"] == 1)
      #expect(s["summary"]?["debit"]?["count"] == 1)
      #expect(s["summary"]?["other_currency"]?["count"] == 1)
      #expect(s["summary"]?["missing_in_bank"]?["count"] == 1)
      #expect(s["summary"]?["missing_in_bank"]?["amount"]?.intValue == t4)
      // The categories of the VND credits add up to the file's total.
      let credited = ["matched", "amount_mismatch", "recovered", "missing_in_feepay", "duplicate_in_bank"].reduce(
        Int64(0)
      ) {
        $0 + (s["summary"]?[$1]?["amount"]?.intValue ?? 0)
      }
      #expect(credited == s["total_amount"]?.intValue)

      // The lost callback's payment is recorded, the invoice paid, the event written.
      #expect(try await client.send(.get, "/v1/invoices/\(recoveredID)", key: world.portalKey).json["status"] == "paid")
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM payments WHERE invoice_id = \(recoveredID) AND source = 'statement'") == 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM events WHERE subject_id = \(recoveredID) AND type = 'invoice.paid'") == 1)
      // The bank confirmed matched + recovered: clearing → settled.
      #expect(Int64(try await balances(world, "bank_settled:\(bank.code)")) == t1 + t3)
      #expect(try await world.scalar("SELECT (sum(debit) - sum(credit))::int FROM ledger_postings") == 0)

      let id = try #require(s["id"]?.stringValue)
      let mismatches = try await client.send(
        .get, "/v1/settlements/\(id)/items?category=amount_mismatch", key: world.auditorKey)
      #expect(mismatches.json["data"]?[0]?["bank_txn_id"] == "A.1")
      #expect(mismatches.json["data"]?[0]?["exception_id"]?.stringValue != nil)
      let page = try await client.send(.get, "/v1/settlements/\(id)/items?limit=3", key: world.auditorKey)
      #expect(page.json["data"]?.arrayValue?.count == 3)
      let next = try #require(page.json["next_cursor"]?.stringValue)
      let rest = try await client.send(
        .get, "/v1/settlements/\(id)/items?limit=10&cursor=\(next)", key: world.auditorKey)
      #expect(rest.json["data"]?.arrayValue?.count == 4)
      let report = String(
        decoding: try await client.send(.get, "/v1/settlements/\(id)/report.csv", key: world.accountantKey).bytes,
        as: UTF8.self)
      #expect(report.split(separator: "\r\n").count == 8)
      #expect(report.contains(",missing_in_feepay,"))
      #expect(try await client.send(.get, "/v1/settlements/\(id)", key: world.accountantKey).json == s)
      #expect(try await client.send(.get, "/v1/settlements/\(id)", key: world.portalKey).status == .forbidden)

      // The same file again is refused and changes nothing.
      let again = try await client.upload(csv.bytes, connector: bank.code, day: day, key: world.accountantKey)
      #expect(again.status == .conflict)
      #expect(again.problemCode == "statement_already_imported")
      let open = try await client.send(
        .get, "/v1/exceptions?status=open&connector=\(bank.code)", key: world.accountantKey)
      #expect(open.json["data"]?.arrayValue?.count == 3)  // amount mismatch, missing in FeePay, missing in bank

      // A statement and its lines stay: nothing deletes them (the lines' integrity rests on it).
      await #expect(throws: (any Error).self) {
        try await world.database.query("DELETE FROM settlement_lines WHERE settlement_id = \(id)")
      }
      await #expect(throws: (any Error).self) {
        try await world.database.query("DELETE FROM settlements WHERE id = \(id)")
      }
      #expect(try await world.scalar("SELECT count(*)::int FROM settlement_lines WHERE settlement_id = \(id)") == 7)
    }
  }

  @Test func aMalformedLineDeepInABigFileImportsNothing() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      let day = BusinessDate(containing: world.clock.now)
      var text = "bank_txn_id,payment_code,amount,currency,paid_at,payer_account,memo\n"
      let at = Timestamp.format(world.clock.now)
      for i in 1...100_000 {
        text += i == 50_000 ? "T\(i),,12x3,VND,\(at),,\n" : "T\(i),,1000,VND,\(at),,\n"
      }
      let r = try await client.upload(Array(text.utf8), connector: bank.code, day: day, key: world.accountantKey)
      #expect(r.status == .unprocessableContent)
      #expect(r.problemCode == "statement_invalid")
      #expect(r.json["detail"]?.stringValue?.hasPrefix("line 50001:") == true, "\(r.json["detail"] ?? .null)")
      #expect(try await world.scalar("SELECT count(*)::int FROM settlements WHERE connector_code = \(bank.code)") == 0)
      #expect(try await world.scalar("SELECT count(*)::int FROM settlement_lines") == 0)
      let wrongType = try await client.upload(
        Array(text.utf8), connector: bank.code, day: day, key: world.accountantKey, type: "application/json")
      #expect(wrongType.status == .unsupportedMediaType)
      #expect(try await client.upload([], connector: bank.code, day: day, key: world.portalKey).status == .forbidden)
      #expect(
        try await client.upload(Array(text.utf8), connector: "nope", day: day, key: world.accountantKey).status
          == .notFound)
    }
  }

  @Test func camtAndMappedBankCSV() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world, signedStatements: true)
      let day = BusinessDate(containing: world.clock.now)
      let (_, c1, t1) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: c1, amount: t1, txn: "CAMT.1")
      let (_, c2, t2) = try await world.invoice(client)
      let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr>
        <Stmt><Id>S1</Id>
        <Ntry><Amt Ccy="VND">\(t1)</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
          <BookgDt><Dt>\(day)</Dt></BookgDt><AcctSvcrRef>CAMT.1</AcctSvcrRef></Ntry>
        <Ntry><Amt Ccy="VND">\(t2).00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
          <BookgDt><Dt>\(day)</Dt></BookgDt>
          <NtryDtls><TxDtls><Refs><AcctSvcrRef>CAMT.2</AcctSvcrRef></Refs>
            <AmtDtls><TxAmt><Amt Ccy="VND">\(t2)</Amt></TxAmt></AmtDtls>
            <RmtInf><Strd><CdtrRefInf><Ref>\(c2)</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
        <Ntry><Amt Ccy="VND">500</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts>
          <AcctSvcrRef>CAMT.3</AcctSvcrRef></Ntry>
        <Ntry><Amt Ccy="VND">900</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts><AcctSvcrRef>CAMT.4</AcctSvcrRef></Ntry>
        </Stmt></BkToCstmrStmt></Document>
        """
      let r = try await client.upload(
        Array(xml.utf8), connector: bank.code, day: day, key: world.accountantKey, type: "application/xml")
      #expect(r.status == .created, "\(String(decoding: r.bytes, as: UTF8.self))")
      #expect(r.json["format"] == "camt.053")
      #expect(r.json["summary"]?["matched"]?["count"] == 1)
      #expect(r.json["summary"]?["recovered"]?["count"] == 1)
      #expect(r.json["summary"]?["reversal"]?["count"] == 1)
      #expect(r.json["line_count"] == 3, "the pending entry is not a settlement")
      let broken = try await client.upload(
        Array(xml.dropLast(30).utf8), connector: bank.code, day: day, key: world.accountantKey, type: "application/xml")
      #expect(broken.status == .unprocessableContent)

      // A bank's own CSV through the connector's mapping.
      let other = try await TestBank.hmac(world)
      let (_, c3, t3) = try await world.invoice(client)
      try await other.pay(client, paymentCode: c3, amount: t3, txn: "FT26333")
      try await SettlementStore(
        database: world.database, ids: IDGenerator(clock: world.clock), presenter: InvoicePresenter(publicBaseURL: "")
      )
      .setCSVMapping(
        connector: other.code,
        mapping: CSVMapping(
          bankTxnID: "So GD", amount: "So tien", paidAt: "Ngay GD", memo: "Noi dung", dateFormat: "dd/MM/yyyy HH:mm:ss",
          delimiter: ";"), actor: "test", now: world.clock.now)
      let bankCSV = "Ngay GD;So GD;So tien;Noi dung\n29/11/2026 10:15:00;FT26333;\(t3);\(c3) nop le phi\n"
      let mapped = try await client.upload(
        Array(bankCSV.utf8), connector: other.code, day: day, key: world.accountantKey)
      #expect(mapped.status == .created, "\(String(decoding: mapped.bytes, as: UTF8.self))")
      #expect(mapped.json["summary"]?["matched"]?["count"] == 1)
    }
  }

  @Test func resolutionsPostTheirJournalsOnce() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      let (target, _, total) = try await world.invoice(client)
      // Money for an unknown code, held in suspense, then applied to the right invoice.
      let unknown = try await bank.pay(client, paymentCode: "FP000000004", amount: total)
      let e1 = try #require(unknown.json["exception_id"]?.stringValue)
      #expect(try await balances(world, "suspense:\(bank.code)") == -Int(total))
      let body: JSONValue = [
        "action": "apply_to_invoice", "invoice_id": .string(target), "note": "Citizen called; code mistyped",
      ]
      #expect(
        try await client.send(.post, "/v1/exceptions/\(e1)/resolve", key: world.portalKey, json: body).status
          == .forbidden)
      #expect(
        try await client.send(
          .post, "/v1/exceptions/\(e1)/resolve", key: world.accountantKey,
          json: ["action": "apply_to_invoice", "invoice_id": .string(target)]
        ).status == .unprocessableContent)
      let proposed = try await client.send(.post, "/v1/exceptions/\(e1)/resolve", key: world.accountantKey, json: body)
      #expect(proposed.status == .accepted, "four eyes: the first accountant only proposes")
      #expect(proposed.json["status"] == "open")
      #expect(proposed.json["proposal"]?["action"] == "apply_to_invoice")
      #expect(try await client.send(.get, "/v1/invoices/\(target)", key: world.portalKey).json["status"] == "open")
      let resolved = try await client.send(.post, "/v1/exceptions/\(e1)/approve", key: world.approverKey)
      #expect(resolved.status == .ok, "\(String(decoding: resolved.bytes, as: UTF8.self))")
      #expect(resolved.json["status"] == "resolved")
      #expect(resolved.json["resolution"]?["action"] == "apply_to_invoice")
      #expect(try await client.send(.get, "/v1/invoices/\(target)", key: world.portalKey).json["status"] == "paid")
      #expect(try await balances(world, "suspense:\(bank.code)") == 0)
      let twice = try await client.send(.post, "/v1/exceptions/\(e1)/resolve", key: world.accountantKey, json: body)
      #expect(twice.status == .conflict)

      // Refund and write-off.
      let e2 = try #require(
        try await bank.pay(client, paymentCode: "FP000000004", amount: 700).json["exception_id"]?.stringValue)
      let e3 = try #require(
        try await bank.pay(client, paymentCode: "FP000000004", amount: 300).json["exception_id"]?.stringValue)
      #expect(try await client.resolve(e2, ["action": "refund", "note": "returned"], world: world).status == .ok)
      #expect(try await client.resolve(e3, ["action": "write_off", "note": "too small"], world: world).status == .ok)
      #expect(try await balances(world, "refunds_payable") == -700)
      #expect(try await balances(world, "write_off") == -300, "docs/design/domain.md: suspense → write_off")
      #expect(try await balances(world, "suspense:\(bank.code)") == 0)
      // apply_to_invoice needs an open invoice of exactly that amount.
      let e4 = try #require(
        try await bank.pay(client, paymentCode: "FP000000004", amount: 5).json["exception_id"]?.stringValue)
      let (other, _, _) = try await world.invoice(client)
      let wrong = try await client.send(
        .post, "/v1/exceptions/\(e4)/resolve", key: world.accountantKey,
        json: ["action": "apply_to_invoice", "invoice_id": .string(other), "note": "x"])
      #expect(wrong.status == .unprocessableContent)
      let notApplicable = try await client.send(
        .post, "/v1/exceptions/\(e4)/resolve", key: world.accountantKey,
        json: ["action": "accept_bank_record", "note": "x"])
      #expect(notApplicable.status == .unprocessableContent)
      #expect(try await world.scalar("SELECT count(*)::int FROM audit_log WHERE action = 'exception.propose'") == 3)
      #expect(try await world.scalar("SELECT count(*)::int FROM audit_log WHERE action = 'exception.approve'") == 3)
      #expect(try await world.scalar("SELECT (sum(debit) - sum(credit))::int FROM ledger_postings") == 0)
    }
  }

  @Test func aClosedDayIsImmutable() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      let day = BusinessDate(containing: world.clock.now)
      let (_, code, total) = try await world.invoice(client)
      let exception = try #require(
        try await bank.pay(client, paymentCode: "FP000000004", amount: 10).json["exception_id"]?.stringValue)
      let refused = try await client.send(.post, "/v1/business-days/\(day)/close", key: world.accountantKey)
      #expect(refused.status == .conflict)
      #expect(refused.problemCode == "day_not_reconciled")
      #expect(refused.json["detail"]?.stringValue?.contains("no statement from \(bank.code)") == true)
      let noNote = try await client.send(
        .post, "/v1/business-days/\(day)/close", key: world.accountantKey, json: ["force": true])
      #expect(noNote.status == .unprocessableContent)
      let closed = try await client.send(
        .post, "/v1/business-days/\(day)/close", key: world.accountantKey,
        json: ["force": true, "note": "bank statement late"])
      #expect(closed.status == .ok)
      #expect(
        try await client.send(.post, "/v1/business-days/\(day)/close", key: world.accountantKey).status == .conflict)
      // A late callback for that day posts into the next open day.
      let paid = try await bank.pay(client, paymentCode: code, amount: total)
      let paymentID = try #require(paid.json["payment_id"]?.stringValue)
      let rows = try await world.database.query("SELECT business_date::text FROM payments WHERE id = \(paymentID)")
      #expect(
        try rows[0].decode(String.self)
          == BusinessDate(containing: day.start.addingTimeInterval(86_400 + 3600)).description)
      // Its exceptions can no longer be resolved, and no statement can be filed for it.
      let late = try await client.send(
        .post, "/v1/exceptions/\(exception)/resolve", key: world.accountantKey,
        json: ["action": "write_off", "note": "x"])
      #expect(late.status == .conflict)
      #expect(late.problemCode == "day_closed")
      var csv = StatementCSV()
      csv.add("X.1", amount: 1, at: world.clock.now)
      let statement = try await client.upload(csv.bytes, connector: bank.code, day: day, key: world.accountantKey)
      #expect(statement.problemCode == "day_closed")
      // And the database itself refuses a journal dated that day.
      await #expect(throws: (any Error).self) {
        try await world.database.query(
          "INSERT INTO ledger_journals (id, kind, reference, business_date, created_at) VALUES ('jnl_x', 'x', 'x', \(day.description)::date, now())"
        )
      }
    }
  }

  @Test func remittanceEqualsTheFeesPayableMovement() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      let day = BusinessDate(containing: world.clock.now)
      var expected: Int64 = 0
      for _ in 0..<3 {
        let (_, code, total) = try await world.invoice(client)
        try await bank.pay(client, paymentCode: code, amount: total)
        expected += total
      }
      let r = try await client.send(.get, "/v1/reports/remittance?date=\(day)", key: world.auditorKey)
      #expect(r.json["total"]?.intValue == expected)
      #expect(r.json["data"]?[0]?["agency_code"]?.stringValue == world.agency)
      #expect(r.json["data"]?[0]?["fee_code"] == "LPHT-01")
      let ledger = try await world.scalar(
        """
        SELECT coalesce(sum(p.credit - p.debit), 0)::int FROM ledger_postings p JOIN ledger_journals j ON j.id = p.journal_id
        WHERE p.account_code LIKE 'fees_payable:%' AND j.business_date = \(day.description)::date
        """)
      #expect(Int64(ledger) == expected)
      let csv = String(
        decoding: try await client.send(.get, "/v1/reports/remittance?date=\(day)&format=csv", key: world.auditorKey)
          .bytes, as: UTF8.self)
      #expect(csv.contains("\(day),TOTAL,,\(expected)"))
      #expect(
        try await client.send(.get, "/v1/reports/remittance?date=today", key: world.auditorKey).status
          == .unprocessableContent)
    }
  }

  /// Random payments, random statements: every line in exactly one category, categories
  /// summing to the file, every journal balanced.
  @Test func randomStatementsAlwaysAddUp() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      var rng = SeededRandom()
      var known: [(String, String, Int64)] = []
      for i in 0..<60 {
        let (_, code, total) = try await world.invoice(client)
        if Bool.random(using: &rng) {
          try await bank.pay(client, paymentCode: code, amount: total, txn: "P.\(i)")
          known.append(("P.\(i)", code, total))
        } else {
          known.append(("L.\(i)", code, total))  // a callback that never came
        }
      }
      for round in 0..<3 {
        let day = BusinessDate(containing: world.clock.now.addingTimeInterval(Double(round) * 86_400))
        var csv = StatementCSV()
        for (txn, code, total) in known.shuffled(using: &rng) {
          switch Int.random(in: 0..<6, using: &rng) {
          case 0: continue  // missing from the bank
          case 1: csv.add(txn, code: code, amount: total + Int64.random(in: 1...99, using: &rng), at: world.clock.now)
          case 2:
            csv.add(txn, code: code, amount: total, at: world.clock.now)
            csv.add(txn, code: code, amount: total, at: world.clock.now)
          default: csv.add(txn, code: code, amount: total, at: world.clock.now)
          }
        }
        for j in 0..<Int.random(in: 0...5, using: &rng) {
          csv.add("X.\(round).\(j)", amount: 1000, at: world.clock.now)
        }
        csv.add("Z.\(round)", amount: 1, at: world.clock.now, memo: "\(round)")
        let r = try await client.upload(csv.bytes, connector: bank.code, day: day, key: world.accountantKey)
        #expect(r.status == .created, "\(String(decoding: r.bytes, as: UTF8.self))")
        let id = try #require(r.json["id"]?.stringValue)
        #expect(
          try await world.scalar(
            "SELECT count(*)::int FROM settlement_lines WHERE settlement_id = \(id) AND category IS NULL") == 0)
        let lines = r.json["line_count"]?.intValue ?? -1
        let counted = SettlementStore.categories.filter { $0 != "missing_in_bank" }.reduce(Int64(0)) {
          $0 + (r.json["summary"]?[$1]?["count"]?.intValue ?? 0)
        }
        #expect(counted == lines)
        let amounts = [
          "matched", "amount_mismatch", "recovered", "missing_in_feepay", "duplicate_in_bank",
          "recovery_pending_approval",
        ].reduce(
          Int64(0)
        ) {
          $0 + (r.json["summary"]?[$1]?["amount"]?.intValue ?? 0)
        }
        #expect(amounts == r.json["total_amount"]?.intValue)
      }
      let unbalanced = try await world.scalar(
        "SELECT count(*)::int FROM (SELECT journal_id FROM ledger_postings GROUP BY journal_id HAVING sum(debit) <> sum(credit)) x"
      )
      #expect(unbalanced == 0)
    }
  }
}

@Suite(.timeLimit(.minutes(5))) struct CarryForwardTests {
  /// A payment in the last 30 minutes of a day is not missing from that day's statement; if
  /// the next day's statement lacks it too, then it is.
  @Test func lateEveningPaymentsAreCarriedForwardOnce() async throws {
    try await withFeePay(isolated: true) { world, client in
      world.clock.set(try #require(Timestamp.parse("2026-11-29T23:45:00+07:00")))
      let bank = try await TestBank.hmac(world)
      let (_, code, total) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: code, amount: total, txn: "LATE.1")
      var first = StatementCSV()
      first.add("OTHER.1", amount: 1, at: world.clock.now)
      let today = try await client.upload(
        first.bytes, connector: bank.code, day: try #require(BusinessDate("2026-11-29")), key: world.accountantKey)
      #expect(today.json["summary"]?["missing_in_bank"]?["count"] == 0)
      world.clock.advance(by: 12 * 3600)
      var second = StatementCSV()
      second.add("OTHER.2", amount: 1, at: world.clock.now)
      let tomorrow = try await client.upload(
        second.bytes, connector: bank.code, day: try #require(BusinessDate("2026-11-30")), key: world.accountantKey)
      #expect(tomorrow.json["summary"]?["missing_in_bank"]?["count"] == 1)
      #expect(tomorrow.json["summary"]?["missing_in_bank"]?["amount"]?.intValue == total)
    }
  }
}

@Suite(.timeLimit(.minutes(5))) struct AutoRecoveryTests {
  /// With auto-recovery off (the default), a statement line for a lost callback pays
  /// nothing: the invoice stays open, no payment, receipt or event is made, and the money is
  /// a `recovery_pending_approval` exception waiting for a second person (FourEyesTests).
  @Test func offRecordsNothingAndHoldsTheLineForApproval() async throws {
    try await withFeePay(isolated: true) { world, client in
      world.clock.set(try #require(Timestamp.parse("2026-11-29T12:00:00+07:00")))
      let bank = try await TestBank.hmac(world)
      try await ConnectorStore(database: world.database, secrets: world.secrets).setAutoRecovery(
        code: bank.code, enabled: false, actor: "test", at: world.clock.now)
      let (id, code, total) = try await world.invoice(client)
      var csv = StatementCSV()
      csv.add("LOST.1", code: code, amount: total, at: world.clock.now)
      let r = try await client.upload(
        csv.bytes, connector: bank.code, day: BusinessDate(containing: world.clock.now), key: world.accountantKey)
      #expect(r.status == .created, "\(String(decoding: r.bytes, as: UTF8.self))")
      #expect(r.json["summary"]?["recovered"]?["count"] == 0)
      #expect(r.json["summary"]?["recovery_pending_approval"]?["count"] == 1)
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["status"] == "open")
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(id)") == 0)
      #expect(try await world.scalar("SELECT count(*)::int FROM events WHERE subject_id = \(id)") == 0)
      let exceptions = try await world.database.query(
        "SELECT kind, amount, status FROM payment_exceptions WHERE connector_code = \(bank.code) AND bank_txn_id = 'LOST.1'"
      ).map { try $0.decode((String, Int64, String).self) }
      #expect(exceptions.count == 1)
      #expect(exceptions.first?.0 == "recovery_pending_approval")
      #expect(exceptions.first?.1 == total)
      #expect(exceptions.first?.2 == "open")
    }
  }
}

@Suite(.timeLimit(.minutes(5))) struct ReconciliationConcurrencyTests {
  /// The same statement uploaded many times at once is imported exactly once (the upload
  /// limit raised so that all of them race).
  @Test func concurrentUploadsOfOneFileImportItOnce() async throws {
    try await withFeePay(isolated: true, configure: { $0.maxConcurrentUploads = 16 }) { world, client in
      let bank = try await TestBank.hmac(world)
      let day = BusinessDate(containing: world.clock.now)
      let (_, code, total) = try await world.invoice(client)
      var csv = StatementCSV()
      csv.add("ONCE.1", code: code, amount: total, at: world.clock.now)
      csv.add("ONCE.2", amount: 777, at: world.clock.now)
      let bytes = csv.bytes
      let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
        for _ in 0..<10 {
          group.addTask {
            try await client.upload(bytes, connector: bank.code, day: day, key: world.accountantKey).status
          }
        }
        return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
      }
      #expect(statuses.filter { $0 == .created }.count == 1)
      #expect(statuses.filter { $0 == .conflict }.count == 9)
      #expect(try await world.scalar("SELECT count(*)::int FROM settlements WHERE connector_code = \(bank.code)") == 1)
      // The line for the lost callback waits for approval, once; nothing is paid.
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE bank_txn_id = 'ONCE.1'") == 0)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM payment_exceptions WHERE bank_txn_id = 'ONCE.1' AND kind = 'recovery_pending_approval'"
        ) == 1)
      #expect(try await world.scalar("SELECT count(*)::int FROM payment_exceptions WHERE bank_txn_id = 'ONCE.2'") == 1)
    }
  }

  /// An exception resolved by several accountants at once is resolved, and posted, once.
  @Test func concurrentResolutionsPostOnce() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      let id = try #require(
        try await bank.pay(client, paymentCode: "FP000000004", amount: 900).json["exception_id"]?.stringValue)
      func tenAtOnce(_ path: String, key: String, json: JSONValue?) async throws -> [TestResponse] {
        try await withThrowingTaskGroup(of: TestResponse.self) { group in
          for _ in 0..<10 {
            group.addTask { try await client.send(.post, "/v1/exceptions/\(id)/\(path)", key: key, json: json) }
          }
          return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
        }
      }
      // Ten proposals at once: one is recorded, the others find it waiting.
      let proposals = try await tenAtOnce(
        "resolve", key: world.accountantKey, json: ["action": "refund", "note": "returned"])
      #expect(proposals.filter { $0.status == .accepted }.count == 1)
      #expect(proposals.filter { $0.problemCode == "proposal_pending" }.count == 9)
      // Ten approvals at once: one takes effect, the others find the exception resolved.
      let approvals = try await tenAtOnce("approve", key: world.approverKey, json: nil)
      #expect(approvals.filter { $0.status == .ok }.count == 1)
      #expect(approvals.filter { $0.status == .conflict }.count == 9)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM ledger_journals WHERE reference = \(id) AND kind = 'exception.refund'") == 1)
    }
  }

  @Test func aStatementOverTheLimitIs413AndImportsNothing() async throws {
    try await withFeePay(isolated: true, configure: { $0.maxStatementBytes = 1000 }) { world, client in
      let bank = try await TestBank.hmac(world)
      var csv = StatementCSV()
      for i in 0..<40 { csv.add("BIG.\(i)", amount: 1000, at: world.clock.now) }
      let r = try await client.upload(
        csv.bytes, connector: bank.code, day: BusinessDate(containing: world.clock.now), key: world.accountantKey)
      #expect(r.status == .contentTooLarge)
      #expect(r.problemCode == "payload_too_large")
      #expect(try await world.scalar("SELECT count(*)::int FROM settlements WHERE connector_code = \(bank.code)") == 0)
    }
  }
}
