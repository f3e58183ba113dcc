import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

@Suite(.timeLimit(.minutes(5))) struct CallbackTests {
  /// A signed event of another type is answered `ignored` and pays nothing.
  @Test func otherEventTypesAreIgnored() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let (id, code, total) = try await world.invoice(client)
      let body = Array(
        JSONValue.object([
          "type": "payment.failed", "timestamp": .string(Timestamp.format(world.clock.now)),
          "data": ["payment_code": .string(code), "amount": .integer(total), "bank_txn_id": "IGN.1"],
        ]).jsonText.utf8)
      let r = try await client.send(.post, "/v1/callbacks/\(bank.code)", raw: body, headers: bank.headers(for: body))
      #expect(r.status == .ok)
      #expect(r.json["status"] == "ignored")
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(id)") == 0)
      #expect(
        try await world.scalar("SELECT count(*)::int FROM bank_transactions WHERE connector_code = \(bank.code)") == 0)
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["status"] == "open")
    }
  }

  @Test func aVerifiedCallbackPaysTheInvoiceOnceWithEvidenceLedgerEventAndAudit() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let (id, code, total) = try await world.invoice(client)
      let first = try await bank.pay(client, paymentCode: code, amount: total, txn: "VCB.1")
      #expect(first.status == .ok)
      #expect(first.json["status"] == "accepted")
      let paymentID = try #require(first.json["payment_id"]?.stringValue)
      let invoice = try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey)
      #expect(invoice.json["status"] == "paid")
      #expect(invoice.json["paid_at"]?.stringValue != nil)

      let again = try await bank.pay(client, paymentCode: code, amount: total, txn: "VCB.1")
      #expect(again.json["status"] == "duplicate")
      #expect(again.json["payment_id"]?.stringValue == paymentID)

      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(id)") == 1)
      #expect(
        try await world.scalar("SELECT count(*)::int FROM events WHERE subject_id = \(id) AND type = 'invoice.paid'")
          == 1)
      #expect(try await world.scalar("SELECT count(*)::int FROM ledger_journals WHERE reference = \(paymentID)") == 1)
      #expect(try await world.scalar("SELECT count(*)::int FROM audit_log WHERE subject = \(paymentID)") == 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM callbacks WHERE connector_code = \(bank.code) AND payment_id = \(paymentID)") == 2)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM callbacks WHERE connector_code = \(bank.code) AND verdict = 'duplicate'") == 1)
      let clearing = try await world.scalar(
        "SELECT (sum(debit) - sum(credit))::int FROM ledger_postings WHERE account_code = \("bank_clearing:" + bank.code)"
      )
      #expect(Int64(clearing) == total)
      let fees = try await world.scalar(
        "SELECT (sum(credit) - sum(debit))::int FROM ledger_postings WHERE account_code = \("fees_payable:\(world.agency):LPHT-01")"
      )
      #expect(Int64(fees) == total)
    }
  }

  @Test func fiftyIdenticalCallbacksAtOnceMakeOnePayment() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let (id, code, total) = try await world.invoice(client)
      let body = TestBank.body(paymentCode: code, amount: total, txn: "RACE.1", paidAt: world.clock.now)
      let headers = bank.headers(for: body)
      let statuses = try await withThrowingTaskGroup(of: String.self) { group in
        for _ in 0..<50 {
          group.addTask {
            try await client.send(.post, "/v1/callbacks/\(bank.code)", raw: body, headers: headers).json["status"]?
              .stringValue
              ?? "?"
          }
        }
        return try await group.reduce(into: [String]()) { $0.append($1) }
      }
      #expect(statuses.filter { $0 == "accepted" }.count == 1)
      #expect(statuses.filter { $0 == "duplicate" }.count == 49)
      // The 49 replays (same webhook-id, same body) are answered; their evidence is the first's.
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM callbacks WHERE connector_code = \(bank.code) AND bank_txn_id = 'RACE.1'") == 1)
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(id)") == 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM ledger_journals j JOIN payments p ON p.id = j.reference WHERE p.invoice_id = \(id)"
        ) == 1)
      #expect(
        try await world.scalar("SELECT count(*)::int FROM events WHERE subject_id = \(id) AND type = 'invoice.paid'")
          == 1)
    }
  }

  /// Evidence keeps an allow-list of headers: what proves the sender and the message, and
  /// where it came from; credentials, cookies and anything else are not stored.
  @Test func evidenceKeepsOnlyTheHeadersThatProveSomething() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let (_, code, total) = try await world.invoice(client)
      let body = TestBank.body(paymentCode: code, amount: total, txn: "HDR.1", paidAt: world.clock.now)
      var headers = bank.headers(for: body)
      headers["Authorization"] = "Bearer secret-of-the-bank"
      headers["Cookie"] = "session=abc"
      headers["X-Internal-Token"] = "proxy-secret"
      headers["Proxy-Authorization"] = "Basic eA=="
      headers["X-Forwarded-For"] = "203.0.113.7"
      let r = try await client.send(.post, "/v1/callbacks/\(bank.code)", raw: body, headers: headers)
      #expect(r.json["status"] == "accepted")
      let rows = try await world.database.query(
        "SELECT array_agg(k ORDER BY k) FROM callbacks, jsonb_object_keys(headers) k WHERE bank_txn_id = 'HDR.1'")
      let kept = try rows[0].decode([String].self)
      #expect(
        Set(kept).isSubset(of: [
          "content-type", "content-length", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature",
          "x-forwarded-for", "forwarded", "x-real-ip", "x-request-id",
        ]), "\(kept)")
      #expect(kept.contains("webhook-signature"))
      #expect(kept.contains("x-forwarded-for"))
    }
  }

  @Test func twoTransactionsForOneInvoiceMakeOnePaymentAndOneException() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let (id, code, total) = try await world.invoice(client)
      let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
        for txn in ["A.1", "A.2"] {
          group.addTask {
            try await bank.pay(client, paymentCode: code, amount: total, txn: txn).json["status"]?.stringValue ?? "?"
          }
        }
        return try await group.reduce(into: [String]()) { $0.append($1) }
      }
      #expect(outcomes.sorted() == ["accepted", "exception"])
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(id)") == 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM payment_exceptions WHERE invoice_id = \(id) AND kind = 'already_paid'") == 1)
    }
  }

  @Test func everyExceptionKindHoldsTheMoneyInSuspense() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let restricted = try await TestBank.hmac(world, agencies: [world.otherAgency])
      let (_, openCode, total) = try await world.invoice(client)
      let (_, expiringCode, _) = try await world.invoice(client, expiresIn: 60)
      let (cancelID, cancelCode, _) = try await world.invoice(client)
      _ = try await client.send(.post, "/v1/invoices/\(cancelID)/cancel", key: world.portalKey)
      let (_, paidCode, _) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: paidCode, amount: total)
      world.clock.advance(by: 61)

      var cases: [(TestBank, String?, Int64, ExceptionKind, String?)] = [
        (bank, "FP000000004", total, .unknownPaymentCode, nil),
        (bank, openCode, total - 1, .amountMismatch, nil),
        (bank, expiringCode, total, .invoiceNotOpen, nil),
        (bank, cancelCode, total, .invoiceNotOpen, nil),
        (bank, paidCode, total, .alreadyPaid, nil),
        (restricted, openCode, total, .connectorNotAllowed, nil),
        (bank, nil, total, .unknownPaymentCode, "chuyen tien khong ghi ma"),
      ]
      // A memo whose code has a typo must not match another invoice.
      var typo = Array(openCode.utf8)
      typo[5] = typo[5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
      cases.append((bank, nil, total, .unknownPaymentCode, "nop le phi \(String(decoding: typo, as: UTF8.self))"))

      for (payer, code, amount, kind, memo) in cases {
        let r = try await payer.pay(client, paymentCode: code, amount: amount, memo: memo)
        #expect(r.status == .ok)
        #expect(r.json["status"] == "exception", "\(kind)")
        let exceptionID = try #require(r.json["exception_id"]?.stringValue)
        let rows = try await world.database.query(
          "SELECT kind, status, amount FROM payment_exceptions WHERE id = \(exceptionID)")
        let (storedKind, status, storedAmount) = try rows[0].decode((String, String, Int64).self)
        #expect(storedKind == kind.rawValue)
        #expect(status == "open")
        #expect(storedAmount == amount)
        #expect(
          try await world.scalar(
            "SELECT count(*)::int FROM ledger_postings p JOIN ledger_journals j ON j.id = p.journal_id WHERE j.reference = \(exceptionID) AND p.account_code LIKE 'suspense:%' AND p.credit = \(amount)"
          )
            == 1)
        #expect(
          try await world.scalar(
            "SELECT count(*)::int FROM events WHERE subject_id = \(exceptionID) AND type = 'payment.exception'") == 1)
      }
      let listed = try await client.send(
        .get, "/v1/exceptions?status=open&connector=\(bank.code)", key: world.accountantKey)
      #expect(listed.status == .ok)
      #expect(listed.json["data"]?.arrayValue?.count == cases.count - 1)
      #expect(try await client.send(.get, "/v1/exceptions", key: world.portalKey).status == .forbidden)
    }
  }

  @Test func theCodeIsFoundInAMangledMemo() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let (id, code, total) = try await world.invoice(client)
      let chars = Array(code.lowercased())
      let mangled =
        "NGUYEN VAN AN chuyen tien \(String(chars[0..<4]))-\(String(chars[4..<8])) \(String(chars[8...])) nop le phi"
      let r = try await bank.pay(client, paymentCode: nil, amount: total, memo: mangled)
      #expect(r.json["status"] == "accepted")
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["status"] == "paid")
    }
  }

  @Test func forgedStaleAndMalformedCallbacksChangeNothing() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let other = try await TestBank.hmac(world)
      let (id, code, total) = try await world.invoice(client)
      let body = TestBank.body(paymentCode: code, amount: total, txn: "F.1", paidAt: world.clock.now)
      let good = bank.headers(for: body)
      let signature = try #require(good["webhook-signature"])
      let otherSignature = try #require(other.headers(for: body, id: good["webhook-id"]!)["webhook-signature"])
      var tamperedBody = body
      tamperedBody[tamperedBody.count - 3] ^= 1
      let wrongSecret = StandardWebhooks.signHMAC(
        secret: StandardWebhooks.secretBytes(WebhookSecret.generate())!, id: good["webhook-id"]!,
        timestamp: good["webhook-timestamp"]!, body: body)
      let forgeries: [(String, [UInt8], [String: String])] = [
        ("tampered body", tamperedBody, good),
        ("wrong secret", body, good.merging(["webhook-signature": wrongSecret]) { $1 }),
        ("another connector's secret", body, good.merging(["webhook-signature": otherSignature]) { $1 }),
        ("stale timestamp", body, bank.headers(for: body, timestamp: world.clock.now.addingTimeInterval(-301))),
        ("future timestamp", body, bank.headers(for: body, timestamp: world.clock.now.addingTimeInterval(301))),
        ("no webhook-id", body, good.filter { $0.key != "webhook-id" }),
        ("no webhook-timestamp", body, good.filter { $0.key != "webhook-timestamp" }),
        ("no webhook-signature", body, good.filter { $0.key != "webhook-signature" }),
        (
          "v1a on an HMAC connector", body,
          good.merging(["webhook-signature": signature.replacingOccurrences(of: "v1,", with: "v1a,")]) { $1 }
        ),
        ("truncated signature", body, good.merging(["webhook-signature": String(signature.dropLast(6))]) { $1 }),
        ("non-base64 signature", body, good.merging(["webhook-signature": "v1,@@@@not base64@@@@"]) { $1 }),
      ]
      for (name, raw, headers) in forgeries {
        let r = try await client.send(.post, "/v1/callbacks/\(bank.code)", raw: raw, headers: headers)
        #expect(r.status == .unauthorized, "\(name)")
      }
      // Signed but malformed: 400, nothing stored.
      let malformed = Array("{\"type\":\"payment.succeeded\",\"data\":{\"amount\":\"16000\"}}".utf8)
      let bad = try await client.send(
        .post, "/v1/callbacks/\(bank.code)", raw: malformed, headers: bank.headers(for: malformed))
      #expect(bad.status == .badRequest)
      let unknown = try await client.send(.post, "/v1/callbacks/no-such-bank", raw: body, headers: good)
      #expect(unknown.status == .notFound)

      #expect(try await world.scalar("SELECT count(*)::int FROM callbacks WHERE connector_code = \(bank.code)") == 0)
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(id)") == 0)
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["status"] == "open")
      let metrics = String(decoding: try await client.send(.get, "/metrics").bytes, as: UTF8.self)
      #expect(
        metrics.contains("feepay_callbacks_total{connector=\"\(bank.code)\",outcome=\"refused\"} \(forgeries.count)"))

      // And the genuine one still works afterwards.
      let genuine = try await client.send(.post, "/v1/callbacks/\(bank.code)", raw: body, headers: good)
      #expect(genuine.json["status"] == "accepted")
    }
  }

  @Test func ed25519ConnectorsVerifyWithThePublicKeyOnly() async throws {
    try await withFeePay { world, client in
      let vector = try #require(
        try JSONValue.parse(
          Array(
            Data(
              contentsOf: TestEnvironment.packageRoot.appendingPathComponent(
                "Tests/FeePayCoreTests/Fixtures/vectors.json"))))["standard_webhooks_ed25519"]?[0])
      let publicKey = try #require(vector["public_key"]?.stringValue)
      let signingKey = try #require(
        vector["secret_key"]?.stringValue.flatMap { StandardWebhooks.keyBytes($0, prefix: "whsk_") })
      let code = "ed-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
      try await ConnectorStore(database: world.database, secrets: world.secrets).add(
        .init(
          code: code, kind: .standardWebhooksEd25519, secret: nil, publicKey: publicKey, tmnCode: nil, agencies: []),
        actor: "test", at: world.clock.now)
      let (_, paymentCode, total) = try await world.invoice(client)
      let body = TestBank.body(paymentCode: paymentCode, amount: total, txn: "NAPAS.1", paidAt: world.clock.now)
      let ts = String(Int(world.clock.now.timeIntervalSince1970))
      let signature = try StandardWebhooks.signEd25519(privateKey: signingKey, id: "msg_1", timestamp: ts, body: body)
      let headers = ["webhook-id": "msg_1", "webhook-timestamp": ts, "Content-Type": "application/json"]
      let hmacStyle = StandardWebhooks.signHMAC(secret: Array(publicKey.utf8), id: "msg_1", timestamp: ts, body: body)
      let refused = try await client.send(
        .post, "/v1/callbacks/\(code)", raw: body, headers: headers.merging(["webhook-signature": hmacStyle]) { $1 })
      #expect(refused.status == .unauthorized)
      let accepted = try await client.send(
        .post, "/v1/callbacks/\(code)", raw: body, headers: headers.merging(["webhook-signature": signature]) { $1 })
      #expect(accepted.json["status"] == "accepted")
    }
  }

  @Test func rotatedSecretsOverlapDuringTheGracePeriod() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let newSecret = WebhookSecret.generate()
      try await ConnectorStore(database: world.database, secrets: world.secrets).rotate(
        code: bank.code, newSecret: newSecret, newPublicKey: nil, graceUntil: world.clock.now.addingTimeInterval(3600),
        actor: "test", at: world.clock.now)
      let rotated = TestBank(code: bank.code, secret: newSecret, world: world)
      let (_, c1, t1) = try await world.invoice(client)
      let (_, c2, t2) = try await world.invoice(client)
      #expect(try await bank.pay(client, paymentCode: c1, amount: t1).json["status"] == "accepted")
      #expect(try await rotated.pay(client, paymentCode: c2, amount: t2).json["status"] == "accepted")
      world.clock.advance(by: 3601)
      let (_, c3, t3) = try await world.invoice(client)
      #expect(try await bank.pay(client, paymentCode: c3, amount: t3).status == .unauthorized)
      #expect(try await rotated.pay(client, paymentCode: c3, amount: t3).json["status"] == "accepted")
    }
  }

  /// The connector is cached between callbacks; a secret rotated a moment ago still works
  /// at once (a signature the cached secrets refuse is checked against a fresh read).
  @Test func aNewSecretWorksAtOnceAlthoughTheConnectorIsCached() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let (_, c1, t1) = try await world.invoice(client)
      #expect(try await bank.pay(client, paymentCode: c1, amount: t1).json["status"] == "accepted")  // cached now
      let newSecret = WebhookSecret.generate()
      try await ConnectorStore(database: world.database, secrets: world.secrets).rotate(
        code: bank.code, newSecret: newSecret, newPublicKey: nil, graceUntil: world.clock.now, actor: "test",
        at: world.clock.now)
      let (_, c2, t2) = try await world.invoice(client)
      let rotated = TestBank(code: bank.code, secret: newSecret, world: world)
      #expect(try await rotated.pay(client, paymentCode: c2, amount: t2).json["status"] == "accepted")
    }
  }

  /// After a random mix of callbacks, every journal balances, all accounts sum to zero,
  /// and the connector's clearing account holds exactly what arrived.
  @Test func ledgerStaysBalancedUnderARandomMixOfCallbacks() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      var invoices: [(String, Int64)] = []
      for _ in 0..<40 {
        let (_, code, total) = try await world.invoice(client)
        invoices.append((code, total))
      }
      var rng = SeededRandom()
      var sent: [String] = []
      for i in 0..<1000 {
        let roll = Int.random(in: 0..<10, using: &rng)
        if roll < 2, let txn = sent.randomElement(using: &rng) {
          // A duplicate of something already sent: the bank retries with the same id.
          let r = try await bank.pay(client, paymentCode: "FP000000004", amount: 1, txn: txn)
          #expect(r.json["status"] == "duplicate")
          continue
        }
        let (code, total) = invoices.randomElement(using: &rng)!
        let amount = roll < 4 ? total + Int64.random(in: 1...500, using: &rng) : total
        let txn = "MIX.\(i)"
        let r = try await bank.pay(client, paymentCode: roll == 9 ? "FP1234ABCDE" : code, amount: amount, txn: txn)
        #expect(r.status == .ok)
        sent.append(txn)
      }
      let unbalanced = try await world.scalar(
        """
        SELECT count(*)::int FROM (SELECT journal_id FROM ledger_postings GROUP BY journal_id
                                   HAVING sum(debit) <> sum(credit)) x
        """)
      #expect(unbalanced == 0)
      #expect(try await world.scalar("SELECT (sum(debit) - sum(credit))::int FROM ledger_postings") == 0)
      let clearing = try await world.scalar(
        "SELECT (sum(debit) - sum(credit))::int FROM ledger_postings WHERE account_code = \("bank_clearing:" + bank.code)"
      )
      let payments = try await world.scalar(
        "SELECT coalesce(sum(amount), 0)::int FROM payments WHERE connector_code = \(bank.code)")
      let exceptions = try await world.scalar(
        "SELECT coalesce(sum(amount), 0)::int FROM payment_exceptions WHERE connector_code = \(bank.code)")
      #expect(clearing == payments + exceptions)
      #expect(
        try await world.scalar("SELECT count(*)::int FROM bank_transactions WHERE connector_code = \(bank.code)")
          == sent.count)
      // Postings cannot be changed afterwards.
      await #expect(throws: (any Error).self) {
        try await world.database.query("UPDATE ledger_postings SET debit = debit + 1")
      }
    }
  }

  @Test func ledgerEndpointsForAccountantsAndAuditors() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let (_, code, total) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: code, amount: total)
      let balances = try await client.send(.get, "/v1/ledger/balances", key: world.auditorKey)
      #expect(balances.status == .ok)
      let row = balances.json["data"]?.arrayValue?.first { $0["account"]?.stringValue == "bank_clearing:\(bank.code)" }
      #expect(row?["balance"]?.intValue == total)
      #expect(row?["kind"] == "asset")
      let entries = try await client.send(
        .get, "/v1/ledger/entries?account=bank_clearing:\(bank.code)", key: world.accountantKey)
      #expect(entries.json["data"]?.arrayValue?.count == 1)
      #expect(try await client.send(.get, "/v1/ledger/balances", key: world.portalKey).status == .forbidden)
      #expect(
        try await client.send(.get, "/v1/ledger/balances?as_of=yesterday", key: world.auditorKey).status
          == .unprocessableContent)
    }
  }
}

/// A callback signed by the Standard Webhooks reference implementation (Python) is
/// accepted. CI installs `standardwebhooks` and sets FEEPAY_REQUIRE_REFERENCE_CLIENTS=1, so
/// there the test cannot be skipped.
@Suite(.timeLimit(.minutes(5))) struct ReferenceClientTests {
  /// CI sets FEEPAY_REQUIRE_REFERENCE_CLIENTS=1: every test that needs an outside tool runs
  /// there, and fails if the tool is missing.
  static var required: Bool { ProcessInfo.processInfo.environment["FEEPAY_REQUIRE_REFERENCE_CLIENTS"] == "1" }

  static var available: Bool {
    if required { return true }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import standardwebhooks"]
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }

  @Test(.enabled(if: available)) func pythonReferenceLibrarySignsAndFeePayAccepts() async throws {
    try await withFeePay { world, client in
      let bank = try await TestBank.hmac(world)
      let (_, code, total) = try await world.invoice(client)
      let body = TestBank.body(paymentCode: code, amount: total, txn: "PY.1", paidAt: world.clock.now)
      let ts = String(Int(world.clock.now.timeIntervalSince1970))
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = [
        "python3", TestEnvironment.packageRoot.appendingPathComponent("scripts/sign_callback.py").path, bank.secret,
        "msg_py1",
        ts,
      ]
      let input = Pipe()
      let output = Pipe()
      process.standardInput = input
      process.standardOutput = output
      try process.run()
      input.fileHandleForWriting.write(Data(body))
      try input.fileHandleForWriting.close()
      let signature = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
      process.waitUntilExit()
      #expect(process.terminationStatus == 0)
      #expect(signature.hasPrefix("v1,"))
      let r = try await client.send(
        .post, "/v1/callbacks/\(bank.code)", raw: body,
        headers: [
          "webhook-id": "msg_py1", "webhook-timestamp": ts, "webhook-signature": signature,
          "Content-Type": "application/json",
        ])
      #expect(r.json["status"] == "accepted")
    }
  }
}

@Suite(.timeLimit(.minutes(5))) struct LedgerInvariantTests {
  @Test func theDatabaseRefusesAnUnbalancedJournalAndChangesToPostings() async throws {
    let configuration = try await TestEnvironment.shared.sharedDatabase()
    try await withClient(configuration) { client in
      let id = "jnl_test_\(UInt32.random(in: 0...UInt32.max))"
      let refused = await #expect(throws: (any Error).self) {
        try await client.withTransaction(logger: TestEnvironment.logger) { c in
          try await c.query(
            "INSERT INTO ledger_accounts (code, kind) VALUES ('write_off', 'expense') ON CONFLICT DO NOTHING",
            logger: TestEnvironment.logger)
          try await c.query(
            "INSERT INTO ledger_journals (id, kind, reference, business_date, created_at) VALUES (\(id), 'test', 'x', '2026-11-29', now())",
            logger: TestEnvironment.logger)
          try await c.query(
            "INSERT INTO ledger_postings (journal_id, account_code, debit, credit) VALUES (\(id), 'write_off', 5, 0)",
            logger: TestEnvironment.logger)
        }
      }
      #expect(String(reflecting: refused).contains("unbalanced"))
      let rows = try await client.query("SELECT count(*)::int FROM ledger_journals WHERE id = \(id)").collect()
      #expect(try rows[0].decode(Int.self) == 0)
      // A balanced journal commits, and then can be neither changed nor removed.
      let balanced = id + "b"
      try await client.withTransaction(logger: TestEnvironment.logger) { c in
        try await c.query(
          "INSERT INTO ledger_accounts (code, kind) VALUES ('write_off', 'expense') ON CONFLICT DO NOTHING",
          logger: TestEnvironment.logger)
        try await c.query(
          "INSERT INTO ledger_journals (id, kind, reference, business_date, created_at) VALUES (\(balanced), 'test', 'x', '2026-11-29', now())",
          logger: TestEnvironment.logger)
        try await c.query(
          "INSERT INTO ledger_postings (journal_id, account_code, debit, credit) VALUES (\(balanced), 'write_off', 5, 0), (\(balanced), 'write_off', 0, 5)",
          logger: TestEnvironment.logger)
      }
      await #expect(throws: (any Error).self) {
        try await client.query("UPDATE ledger_postings SET debit = 6 WHERE journal_id = \(balanced) AND debit = 5")
      }
      await #expect(throws: (any Error).self) {
        try await client.query("DELETE FROM ledger_postings WHERE journal_id = \(balanced)")
      }
      await #expect(throws: (any Error).self) {
        try await client.query("DELETE FROM ledger_journals WHERE id = \(balanced)")
      }
    }
  }
}
