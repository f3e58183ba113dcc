import FeePayCore
import FeePayStore
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing

/// "Exactly once" against a real `feepay serve` over HTTP, with the production pool size
/// (16 connections, so up to 16 transactions race, not the 4 of the in-process tests).
/// Each test also requires that the race really happened: many requests in flight before
/// the first answer, and, where the design says so, some refused as busy.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ServedConcurrencyTests {
  static let burstSize = 64

  /// One key, 64 requests at once: one invoice; every other answer is either the first
  /// response again, byte for byte, or 409 `idempotency_request_in_progress`. Some round
  /// must have seen a 409, or the requests did not really overlap.
  @Test func oneKeyAtOnceCreatesOneInvoice() async throws {
    try await withServedFeePay { world, served, _ in
      try await served.warmUp(connections: Self.burstSize)
      var raced = false
      for round in 0..<5 where !raced {
        let dossier = "RACE-\(round)-\(UUID().uuidString.prefix(8))"
        let body = world.invoiceBody(dossier: dossier)
        let key = "race-\(dossier)"
        let (replies, inFlight) = try await burst(Self.burstSize) { _ in
          try await served.createInvoice(body, key: world.portalKey, idempotencyKey: key)
        }
        #expect(inFlight >= 8, "only \(inFlight) requests overlapped")
        let created = replies.filter { $0.code == 201 }
        let busy = replies.filter { $0.code == 409 && $0.problemCode == "idempotency_request_in_progress" }
        #expect(created.count + busy.count == replies.count, "\(Set(replies.map(\.code)))")
        #expect(created.filter { $0.headers.first(name: "Idempotent-Replayed") != "true" }.count == 1)
        #expect(Set(created.map(\.bytes)).count == 1, "a replay differed from the first response")
        #expect(
          try await world.scalar("SELECT count(*)::int FROM invoices WHERE dossier_code = \(dossier)") == 1)
        #expect(
          try await world.scalar(
            "SELECT count(*)::int FROM audit_log WHERE action = 'invoice.create' AND subject = \(created.first?.json["id"]?.stringValue ?? "")"
          ) == 1)
        raced = !busy.isEmpty
      }
      #expect(raced, "no round had a request refused as busy: the requests never really raced")
    }
  }

  /// The same signed callback 64 times at once: one payment, one journal, one event; every
  /// other answer is `duplicate` naming that payment.
  @Test func oneCallbackAtOnceMakesOnePayment() async throws {
    try await withServedFeePay { world, served, _ in
      let bank = try await TestBank.hmac(world)
      try await served.warmUp(connections: Self.burstSize)
      let invoice = try await served.invoice(world)
      let body = TestBank.body(paymentCode: invoice.code, amount: invoice.total, txn: "SAME.1", paidAt: Date())
      let headers = bank.headers(for: body, timestamp: Date())
      let (replies, inFlight) = try await burst(Self.burstSize) { _ in
        try await served.send(.POST, "/v1/callbacks/\(bank.code)", raw: body, headers: headers)
      }
      #expect(inFlight >= 8, "only \(inFlight) callbacks overlapped")
      #expect(replies.allSatisfy { $0.code == 200 })
      let accepted = replies.filter { $0.json["status"] == "accepted" }
      #expect(accepted.count == 1)
      #expect(replies.filter { $0.json["status"] == "duplicate" }.count == Self.burstSize - 1)
      let paymentID = try #require(accepted.first?.json["payment_id"]?.stringValue)
      #expect(replies.allSatisfy { $0.json["payment_id"]?.stringValue == paymentID })
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(invoice.id)") == 1)
      #expect(try await world.scalar("SELECT count(*)::int FROM ledger_journals WHERE reference = \(paymentID)") == 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM events WHERE subject_id = \(invoice.id) AND type = 'invoice.paid'") == 1)
      #expect(
        try await world.scalar("SELECT count(*)::int FROM payment_exceptions WHERE connector_code = \(bank.code)") == 0)
      // The evidence is kept once: the other 63 are replays of that message (same webhook-id,
      // same body), answered without growing the table.
      #expect(try await world.scalar("SELECT count(*)::int FROM callbacks WHERE connector_code = \(bank.code)") == 1)
    }
  }

  /// 64 different bank transactions for one invoice at once: one pays it, the other 63 are
  /// exceptions holding their money in suspense, and the ledger balances.
  @Test func manyTransactionsForOneInvoicePayItOnce() async throws {
    try await withServedFeePay { world, served, _ in
      let bank = try await TestBank.hmac(world)
      try await served.warmUp(connections: Self.burstSize)
      let invoice = try await served.invoice(world)
      let (replies, inFlight) = try await burst(Self.burstSize) { i in
        try await served.pay(bank, code: invoice.code, amount: invoice.total, txn: "MANY.\(i)")
      }
      #expect(inFlight >= 8, "only \(inFlight) callbacks overlapped")
      #expect(replies.filter { $0.json["status"] == "accepted" }.count == 1)
      #expect(replies.filter { $0.json["status"] == "exception" }.count == Self.burstSize - 1)
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(invoice.id)") == 1)
      let suspense = try await world.scalar(
        "SELECT (sum(credit) - sum(debit))::int FROM ledger_postings WHERE account_code = \("suspense:\(bank.code)")")
      #expect(Int64(suspense) == invoice.total * Int64(Self.burstSize - 1))
      #expect(try await world.scalar("SELECT (sum(debit) - sum(credit))::int FROM ledger_postings") == 0)
    }
  }

  /// VNPay retries its IPN; 64 copies of one at once confirm the order once (`00`), and the
  /// rest answer `02` (already confirmed).
  @Test func oneVNPayIPNAtOnceMakesOnePayment() async throws {
    try await withServedFeePay { world, served, _ in
      let gateway = VNPayCallbackTests.Gateway(code: "vnp-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))")
      try await ConnectorStore(database: world.database, secrets: world.secrets).add(
        .init(
          code: gateway.code, kind: .vnpay, secret: gateway.secret, publicKey: nil, tmnCode: gateway.tmn, agencies: []),
        actor: "test", at: Date())
      try await served.warmUp(connections: Self.burstSize)
      let invoice = try await served.invoice(world)
      let uri = gateway.uri(gateway.ipn(invoice.code, amount: invoice.total, txn: "14000001", at: Date()))
      let (replies, inFlight) = try await burst(Self.burstSize) { _ in try await served.send(.GET, uri) }
      #expect(inFlight >= 8, "only \(inFlight) IPNs overlapped")
      #expect(replies.filter { $0.json["RspCode"] == "00" }.count == 1)
      #expect(replies.filter { $0.json["RspCode"] == "02" }.count == Self.burstSize - 1)
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(invoice.id)") == 1)
      #expect(
        try await world.scalar("SELECT count(*)::int FROM payment_exceptions WHERE connector_code = \(gateway.code)")
          == 0)
    }
  }

  /// A bank's callbacks arrive while the accountant uploads the same day's statement, which
  /// lists the same transactions: whichever comes first records each payment, the other
  /// finds it (`matched` / `duplicate`), no invoice is paid twice and the import never
  /// fails. The statement carries 20,000 debit lines ahead of the 30 that matter, so that its
  /// import lasts while the callbacks arrive, spread over it; rounds repeat until both orders
  /// have happened (some lines matched, some recovered), or the test fails as not racing.
  /// The spread adapts to the machine: wider when every callback came first, narrower when
  /// every one came last.
  @Test func callbacksRacingTheStatementRecoveryPayEachInvoiceOnce() async throws {
    try await withServedFeePay { world, served, _ in
      let bank = try await TestBank.hmac(world, signedStatements: true)
      try await served.warmUp(connections: 32)
      var sawMatched = false
      var sawRecovered = false
      var spread = 20
      for round in 0..<10 where !(sawMatched && sawRecovered) {
        let now = Date()
        // A day of its own per round: the same connector and day cannot be imported twice.
        let day = BusinessDate(containing: now.addingTimeInterval(Double(-round) * 86_400))
        var invoices: [(id: String, code: String, total: Int64)] = []
        for _ in 0..<30 { invoices.append(try await served.invoice(world)) }
        var csv = StatementCSV()
        for n in 0..<20_000 { csv.add("DEBIT.\(round).\(n)", amount: -1, at: now) }
        for (i, invoice) in invoices.enumerated() {
          csv.add("RACE.\(round).\(i)", code: invoice.code, amount: invoice.total, at: now)
        }
        let statement = csv.bytes
        let chosen = invoices
        let step = spread
        let (results, _) = try await burst(chosen.count + 1) { i in
          if i == chosen.count {
            return (
              i,
              try await served.send(
                .POST, "/v1/settlements?connector=\(bank.code)&business_date=\(day)", key: world.accountantKey,
                raw: statement, contentType: "text/csv")
            )
          }
          try await Task.sleep(for: .milliseconds(i * step))
          let txn = "RACE.\(round).\(i)"
          return (i, try await served.pay(bank, code: chosen[i].code, amount: chosen[i].total, txn: txn))
        }
        let upload = try #require(results.first { $0.0 == chosen.count }?.1)
        let replies = results.filter { $0.0 < chosen.count }.map(\.1)
        #expect(upload.code == 201, "\(String(decoding: upload.bytes, as: UTF8.self))")
        let summary = upload.json["summary"]
        let matched = summary?["matched"]?["count"]?.intValue ?? 0
        let recovered = summary?["recovered"]?["count"]?.intValue ?? 0
        print(
          "callbacks racing the statement, round \(round) (\(step) ms apart): \(matched) matched, \(recovered) recovered"
        )
        #expect(matched + recovered == Int64(chosen.count), "\(String(describing: summary))")
        #expect(replies.allSatisfy { $0.code == 200 })
        #expect(replies.filter { $0.json["status"] == "accepted" }.count == Int(matched))
        #expect(replies.filter { $0.json["status"] == "duplicate" }.count == Int(recovered))
        for invoice in chosen {
          #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(invoice.id)") == 1)
        }
        sawMatched = sawMatched || matched > 0
        sawRecovered = sawRecovered || recovered > 0
        if recovered == 0 { spread *= 2 } else if matched == 0 { spread = max(1, spread / 2) }
      }
      #expect(sawMatched && sawRecovered, "the callbacks never raced the import")
      #expect(
        try await world.scalar("SELECT count(*)::int FROM payment_exceptions WHERE connector_code = \(bank.code)") == 0)
      #expect(try await world.scalar("SELECT (sum(debit) - sum(credit))::int FROM ledger_postings") == 0)
    }
  }

  /// One invoice cancelled 64 times at once: one `200`, the rest `409 invoice_not_open`, one
  /// event and one audit entry.
  @Test func oneInvoiceCancelledAtOnceChangesOnce() async throws {
    try await withServedFeePay { world, served, _ in
      try await served.warmUp(connections: Self.burstSize)
      let invoice = try await served.invoice(world)
      let (replies, inFlight) = try await burst(Self.burstSize) { _ in
        try await served.send(.POST, "/v1/invoices/\(invoice.id)/cancel", key: world.portalKey)
      }
      #expect(inFlight >= 8, "only \(inFlight) cancels overlapped")
      #expect(replies.filter { $0.code == 200 }.count == 1)
      #expect(replies.filter { $0.code == 409 && $0.problemCode == "invoice_not_open" }.count == Self.burstSize - 1)
      #expect(try await world.scalar("SELECT count(*)::int FROM events WHERE subject_id = \(invoice.id)") == 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM audit_log WHERE subject = \(invoice.id) AND action = 'invoice.cancel'") == 1)
    }
  }

  /// One statement uploaded 16 times at once is imported once (the rest `409`), and its
  /// recovered payment and its exception exist once (the upload limit raised so that all
  /// of them race).
  @Test func oneStatementUploadedAtOnceImportsOnce() async throws {
    try await withServedFeePay(environment: ["FEEPAY_MAX_UPLOADS": "16"]) { world, served, _ in
      let bank = try await TestBank.hmac(world, signedStatements: true)
      try await served.warmUp(connections: 16)
      let invoice = try await served.invoice(world)
      let now = Date()
      var csv = StatementCSV()
      csv.add("ONCE.1", code: invoice.code, amount: invoice.total, at: now)
      csv.add("ONCE.2", amount: 777, at: now)
      let statement = csv.bytes
      let day = BusinessDate(containing: now)
      let (replies, inFlight) = try await burst(16) { _ in
        try await served.send(
          .POST, "/v1/settlements?connector=\(bank.code)&business_date=\(day)", key: world.accountantKey,
          raw: statement, contentType: "text/csv")
      }
      #expect(inFlight >= 4, "only \(inFlight) uploads overlapped")
      #expect(replies.filter { $0.code == 201 }.count == 1)
      #expect(replies.filter { $0.code == 409 }.count == 15, "\(replies.map(\.code))")
      #expect(try await world.scalar("SELECT count(*)::int FROM settlements WHERE connector_code = \(bank.code)") == 1)
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(invoice.id)") == 1)
      #expect(try await world.scalar("SELECT count(*)::int FROM payment_exceptions WHERE bank_txn_id = 'ONCE.2'") == 1)
    }
  }

  /// One exception resolved by 16 requests at once is resolved, and posted, once.
  @Test func oneExceptionResolvedAtOncePostsOnce() async throws {
    try await withServedFeePay { world, served, _ in
      let bank = try await TestBank.hmac(world)
      try await served.warmUp(connections: 16)
      let id = try #require(
        try await served.pay(bank, code: "FP000000004", amount: 900).json["exception_id"]?.stringValue)
      let (proposals, proposing) = try await burst(16) { _ in
        try await served.send(
          .POST, "/v1/exceptions/\(id)/resolve", key: world.accountantKey,
          json: ["action": "refund", "note": "returned"])
      }
      #expect(proposing >= 4, "only \(proposing) proposals overlapped")
      #expect(proposals.filter { $0.code == 202 }.count == 1)
      #expect(proposals.filter { $0.code == 409 }.count == 15, "\(proposals.map(\.code))")
      let (replies, inFlight) = try await burst(16) { _ in
        try await served.send(.POST, "/v1/exceptions/\(id)/approve", key: world.approverKey)
      }
      #expect(inFlight >= 4, "only \(inFlight) approvals overlapped")
      #expect(replies.filter { $0.code == 200 }.count == 1)
      #expect(replies.filter { $0.code == 409 }.count == 15, "\(replies.map(\.code))")
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM ledger_journals WHERE reference = \(id) AND kind = 'exception.refund'") == 1)
    }
  }

  /// A retry while the first request with its key is really running (a slow insert, made so
  /// by a trigger in this test's own database) is refused at once with 409 and writes
  /// nothing; the first then completes, and a later retry replays it.
  @Test func aRetryWhileTheFirstRequestRunsIsRefused() async throws {
    try await withServedFeePay { world, served, _ in
      let dossier = "SLOW-\(UUID().uuidString.prefix(8))"
      try await world.database.query(
        """
        CREATE FUNCTION test_slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.dossier_code LIKE 'SLOW-%' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$
        """)
      try await world.database.query(
        "CREATE TRIGGER test_slow_insert BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION test_slow_insert()")
      let body = world.invoiceBody(dossier: dossier)
      let key = "slow-\(dossier)"
      async let first = served.createInvoice(body, key: world.portalKey, idempotencyKey: key)
      try await waitUntil("the first request is inside its statement") {
        try await world.scalar(
          "SELECT count(*)::int FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()")
          == 1
      }
      let retry = try await served.createInvoice(body, key: world.portalKey, idempotencyKey: key)
      #expect(retry.code == 409)
      #expect(retry.problemCode == "idempotency_request_in_progress")
      let original = try await first
      #expect(original.code == 201)
      #expect(original.headers.first(name: "Idempotent-Replayed") == nil)
      #expect(try await world.scalar("SELECT count(*)::int FROM invoices WHERE dossier_code = \(dossier)") == 1)
      try await world.database.query("DROP TRIGGER test_slow_insert ON invoices")
      let later = try await served.createInvoice(body, key: world.portalKey, idempotencyKey: key)
      #expect(later.code == 201)
      #expect(later.headers.first(name: "Idempotent-Replayed") == "true")
      #expect(later.bytes == original.bytes)
    }
  }
}
