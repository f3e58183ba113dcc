import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

/// What the README promises about transactions: events in commit order, an event only with
/// its change, and rows the database itself refuses to change.
@Suite(.timeLimit(.minutes(3))) struct TransactionTests {
  /// Two transactions commit out of the order of their ids, and a portal polls in between:
  /// the later id is not shown before the earlier one has committed, so the cursor the
  /// portal keeps never jumps over an event that commits later.
  @Test func aCursorNeverSkipsAnEventThatCommitsLater() async throws {
    try await withFeePay { world, client in
      let configuration = try await TestEnvironment.shared.sharedDatabase()
      let first = try await connect(configuration)
      let second = try await connect(configuration)
      defer {
        Task {
          try? await first.close()
          try? await second.close()
        }
      }
      let tag = UUID().uuidString.prefix(8)
      let (early, late) = ("evt_early_\(tag)", "evt_late_\(tag)")
      func insert(_ id: String, on c: PostgresConnection) async throws {
        try await c.query(
          """
          INSERT INTO events (id, portal_code, type, subject_id, data, created_at)
          VALUES (\(id), \(world.portal), 'invoice.cancelled', \(id), '{}'::jsonb, now())
          """, logger: TestEnvironment.logger)
      }
      try await first.query("BEGIN", logger: TestEnvironment.logger)
      try await insert(early, on: first)  // takes the lower transaction id
      try await second.query("BEGIN", logger: TestEnvironment.logger)
      try await insert(late, on: second)
      try await second.query("COMMIT", logger: TestEnvironment.logger)
      let ids = try await world.database.query(
        "SELECT txid FROM events WHERE id = ANY(\([early, late])) ORDER BY id"
      ).map { try $0.decode(Int64.self) }
      #expect(ids.count == 1, "only the later one has committed")

      // The portal polls while the earlier transaction is still open: the later event,
      // committed already, must not be shown yet.
      var seen: [String] = []
      var cursor: String?
      func poll() async throws {
        let uri = "/v1/events?limit=100" + (cursor.map { "&after=\($0)" } ?? "")
        let page = try await client.send(.get, uri, key: world.portalKey)
        #expect(page.status == .ok)
        seen += (page.json["data"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        cursor = page.json["next_cursor"]?.stringValue ?? cursor
      }
      for _ in 0..<5 {
        try await poll()
        try await Task.sleep(for: .milliseconds(100))
      }
      #expect(!seen.contains(late), "an event was listed while an older transaction was still open")
      try await first.query("COMMIT", logger: TestEnvironment.logger)
      let deadline = ContinuousClock.now + .seconds(30)
      while !seen.contains(late), ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(50))
        try await poll()
      }
      #expect(seen.filter { $0 == early || $0 == late } == [early, late])
      let txids = try await world.database.query(
        "SELECT id, txid FROM events WHERE id = ANY(\([early, late]))"
      ).map { try $0.decode((String, Int64).self) }
      let byID = Dictionary(uniqueKeysWithValues: txids)
      #expect(try #require(byID[early]) < (try #require(byID[late])), "the transactions did not commit out of order")
    }
  }

  /// A change whose transaction fails at its very end (a deferred trigger that refuses the
  /// commit, in this test's own database) leaves no event; and every event has its change.
  @Test func anEventExistsOnlyWithItsChange() async throws {
    try await withFeePay(isolated: true) { world, client in
      try await world.database.query(
        """
        CREATE FUNCTION test_refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused at commit by the test'; END $$
        """)
      try await world.database.query(
        """
        CREATE CONSTRAINT TRIGGER test_refuse_cancel AFTER UPDATE ON invoices DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (NEW.status = 'cancelled' AND NEW.dossier_code LIKE 'FAIL-%')
        EXECUTE FUNCTION test_refuse_commit()
        """)
      try await world.database.query(
        """
        CREATE CONSTRAINT TRIGGER test_refuse_payment AFTER INSERT ON payments DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (NEW.bank_txn_id LIKE 'FAIL%') EXECUTE FUNCTION test_refuse_commit()
        """)
      let created = try await client.createInvoice(world.invoiceBody(dossier: "FAIL-1"), key: world.portalKey)
      let id = try #require(created.json["id"]?.stringValue)
      let cancel = try await client.send(.post, "/v1/invoices/\(id)/cancel", key: world.portalKey)
      #expect(cancel.status.code >= 500, "\(cancel.status)")
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["status"] == "open")
      #expect(try await world.scalar("SELECT count(*)::int FROM events WHERE subject_id = \(id)") == 0)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM audit_log WHERE subject = \(id) AND action = 'invoice.cancel'")
          == 0)

      let bank = try await TestBank.hmac(world)
      let code = try #require(created.json["payment_code"]?.stringValue)
      let total = try #require(created.json["total_amount"]?.intValue)
      let refused = try await bank.pay(client, paymentCode: code, amount: total, txn: "FAIL.1")
      #expect(refused.status.code >= 500, "\(refused.status)")
      #expect(try await world.scalar("SELECT count(*)::int FROM events WHERE subject_id = \(id)") == 0)
      for table in ["payments", "bank_transactions", "callbacks", "ledger_journals"] {
        #expect(try await world.scalar("SELECT count(*)::int FROM \(unescaped: table)") == 0, "\(table) has a row")
      }

      // Changes that commit, then the invariant over the whole database.
      let accepted = try await bank.pay(client, paymentCode: code, amount: total, txn: "OK.1")
      #expect(accepted.json["status"] == "accepted")
      try await bank.pay(client, paymentCode: code, amount: total, txn: "OK.2")  // an exception
      let (other, _, _) = try await world.invoice(client)
      #expect(try await client.send(.post, "/v1/invoices/\(other)/cancel", key: world.portalKey).status == .ok)
      #expect(try await world.scalar("SELECT count(*)::int FROM events") == 3)
      #expect(
        try await world.scalar(
          """
          SELECT count(*)::int FROM events e WHERE NOT CASE e.type
            WHEN 'invoice.paid' THEN EXISTS (SELECT 1 FROM invoices i JOIN payments p ON p.invoice_id = i.id
                                             WHERE i.id = e.subject_id AND i.status = 'paid')
            WHEN 'invoice.cancelled' THEN EXISTS (SELECT 1 FROM invoices i WHERE i.id = e.subject_id AND i.status = 'cancelled')
            WHEN 'payment.exception' THEN EXISTS (SELECT 1 FROM payment_exceptions x WHERE x.id = e.subject_id)
            ELSE false END
          """) == 0)
    }
  }

  /// Payments, the callbacks' evidence and receipts are refused any UPDATE or DELETE by
  /// PostgreSQL itself, whoever connects.
  @Test func theDatabaseRefusesChangesToPaymentsEvidenceAndReceipts() async throws {
    try await withFeePay(isolated: true) { world, client in
      let invoice = try await world.paidInvoice(client)
      #expect(try await world.receipts.issueBatch(now: world.clock.now) == 1)
      let statements: [PostgresQuery] = [
        "UPDATE payments SET amount = amount + 1 WHERE invoice_id = \(invoice)",
        "UPDATE payments SET memo = 'edited' WHERE invoice_id = \(invoice)",
        "DELETE FROM payments WHERE invoice_id = \(invoice)",
        "UPDATE callbacks SET verdict = 'ignored'",
        "UPDATE callbacks SET body = '\\x00'::bytea",
        "DELETE FROM callbacks",
        "UPDATE receipts SET total_amount = total_amount + 1 WHERE invoice_id = \(invoice)",
        "UPDATE receipts SET content = '{}'::jsonb WHERE invoice_id = \(invoice)",
        "UPDATE receipts SET number = number + 1 WHERE invoice_id = \(invoice)",
        "DELETE FROM receipts WHERE invoice_id = \(invoice)",
      ]
      let before = try await snapshot(world, invoice)
      for statement in statements {
        await #expect(throws: (any Error).self, "\(statement.sql)") { try await world.database.query(statement) }
      }
      #expect(try await snapshot(world, invoice) == before)
    }
  }

  func snapshot(_ world: TestWorld, _ invoice: String) async throws -> [String] {
    var rows: [String] = []
    for query: PostgresQuery in [
      "SELECT row_to_json(p)::text FROM payments p WHERE invoice_id = \(invoice)",
      "SELECT row_to_json(c)::text FROM callbacks c ORDER BY id",
      "SELECT row_to_json(r)::text FROM receipts r WHERE invoice_id = \(invoice)",
    ] {
      rows += try await world.database.query(query).map { try $0.decode(String.self) }
    }
    #expect(rows.count == 3)
    return rows
  }
}
