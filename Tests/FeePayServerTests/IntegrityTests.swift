import AsyncHTTPClient
import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import PostgresNIO
import Synchronization
import Testing

/// Days that stay closed: a close and the writes dated on its day are serialized, a day
/// that has not begun cannot be closed, and a closed day is never reopened.
@Suite struct ClosedDayIntegrityTests {
  /// A write dated on the day that is still in flight holds the close back until it
  /// commits, so the close (and the remittance read after it) includes it. Before migration
  /// 0011 the close finished at once and the write then committed into the closed day.
  @Test func aCloseWaitsForAWriteInFlightOnItsDay() async throws {
    try await withFeePay(isolated: true) { world, client in
      let day = BusinessDate(containing: world.clock.now)
      let writing = Task {
        try await world.database.transaction { c in
          _ = try await c.query(
            """
            INSERT INTO ledger_journals (id, kind, reference, business_date, created_at)
            VALUES ('jnl_in_flight', 'test.in_flight', 'x', \(day.description)::date, now())
            """, logger: world.database.logger
          ).collect()
          try await Task.sleep(for: .milliseconds(800))
        }
        return ContinuousClock.now
      }
      try await Task.sleep(for: .milliseconds(200))
      let closed = try await client.send(
        .post, "/v1/business-days/\(day)/close", key: world.accountantKey,
        json: ["force": true, "note": "closing while a write is in flight"])
      let closeReturned = ContinuousClock.now
      #expect(closed.status == .ok)
      let writeCommitted = try await writing.value
      #expect(closeReturned > writeCommitted, "the close returned while a write dated on its day was uncommitted")
      // After the close, nothing more is dated on the day.
      await #expect(throws: (any Error).self) {
        try await world.database.query(
          """
          INSERT INTO ledger_journals (id, kind, reference, business_date, created_at)
          VALUES ('jnl_after', 'test.after', 'x', \(day.description)::date, now())
          """)
      }
    }
  }

  /// Callbacks fired in a loop while the day closes: every one is accepted (a callback
  /// that meets the close is written into the next open day, never refused), and the day's
  /// remittance read the moment the close returns is its remittance for good.
  @Test func callbacksLoopingWhileTheDayClosesNeverLandInIt() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      let day = BusinessDate(containing: world.clock.now)
      let remittance = SettlementStore(
        database: world.database, ids: IDGenerator(clock: world.clock), presenter: InvoicePresenter(publicBaseURL: ""))
      let closed = Flag()
      // Eight payers in a loop, each invoice paid as soon as it exists, until well after the close.
      let (statuses, reported) = try await withThrowingTaskGroup(of: [Int]?.self) { group in
        for _ in 0..<8 {
          group.addTask {
            var statuses: [Int] = []
            var after = 0
            while after < 4 {
              let (_, code, total) = try await world.invoice(client)
              statuses.append(Int(try await bank.pay(client, paymentCode: code, amount: total).status.code))
              if closed.isSet { after += 1 }
            }
            return statuses
          }
        }
        group.addTask {
          try await Task.sleep(for: .milliseconds(400))
          let response = try await client.send(
            .post, "/v1/business-days/\(day)/close", key: world.accountantKey,
            json: ["force": true, "note": "closing under load"])
          #expect(response.status == .ok)
          closed.set()
          return nil
        }
        var statuses: [Int] = []
        var reported: Int64?
        for try await result in group {
          if let result {
            statuses += result
          } else {
            reported = try await remittance.remittance(day).reduce(0) { $0 + $1.amount }
          }
        }
        return (statuses, reported)
      }
      let invoices = statuses
      #expect(statuses.count == invoices.count)
      #expect(statuses.allSatisfy { $0 == 200 }, "every callback is accepted: \(statuses)")
      let final = try await remittance.remittance(day).reduce(0) { $0 + $1.amount }
      #expect(reported == final, "a payment landed in the day after its close was reported")
      let next = BusinessDate(containing: day.start.addingTimeInterval(86_400 + 3600))
      let paid = try await world.scalar(
        """
        SELECT count(*)::int FROM payments
        WHERE business_date IN (\(day.description)::date, \(next.description)::date)
        """)
      #expect(paid == invoices.count, "every payment is in the day or the next")
      let afterClose = try await world.scalar(
        "SELECT count(*)::int FROM payments WHERE business_date = \(next.description)::date")
      print(
        "callbacks during the close: \(invoices.count - afterClose) into the closed day, \(afterClose) into the next")
    }
  }

  /// A day that has not begun in Vietnam cannot be closed (closing one would make every
  /// callback of that day move on), and callbacks still land today.
  @Test func aDayThatHasNotBegunCannotBeClosed() async throws {
    try await withFeePay(isolated: true) { world, client in
      let today = BusinessDate(containing: world.clock.now)
      let tomorrow = BusinessDate(containing: today.start.addingTimeInterval(86_400 + 3600))
      for day in [tomorrow, BusinessDate(containing: today.start.addingTimeInterval(366 * 86_400))] {
        let refused = try await client.send(
          .post, "/v1/business-days/\(day)/close", key: world.accountantKey,
          json: ["force": true, "note": "ahead of time"])
        #expect(refused.status == .conflict)
        #expect(refused.problemCode == "day_not_over")
      }
      #expect(try await world.scalar("SELECT count(*)::int FROM business_days") == 0)
      #expect(try await world.scalar("SELECT count(*)::int FROM audit_log WHERE action = 'business_day.close'") == 0)
      let bank = try await TestBank.hmac(world)
      let (_, code, total) = try await world.invoice(client)
      #expect(try await bank.pay(client, paymentCode: code, amount: total).status == .ok)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM payments WHERE business_date = \(today.description)::date") == 1)
    }
  }

  /// A closed day is never reopened, and no append-only table can be truncated.
  @Test func closedDaysAndAppendOnlyTablesStayPut() async throws {
    try await withFeePay(isolated: true) { (world: TestWorld, client: any TestClientProtocol) async throws in
      let day = BusinessDate(containing: world.clock.now)
      #expect(
        try await client.send(
          .post, "/v1/business-days/\(day)/close", key: world.accountantKey, json: ["force": true, "note": "x"]
        ).status == .ok)
      for statement: PostgresQuery in [
        "DELETE FROM business_days", "UPDATE business_days SET note = 'reopened'",
      ] {
        let state = await world.sqlState(of: statement)
        #expect(state == "23001", "\(statement.sql)")
      }
      #expect(try await world.scalar("SELECT count(*)::int FROM business_days") == 1)
      for table in [
        "invoice_lines", "events", "audit_log", "callbacks", "payments", "ledger_postings", "ledger_journals",
        "receipts", "settlements", "settlement_lines", "business_days",
      ] {
        let truncate = PostgresQuery(unsafeSQL: "TRUNCATE \(table) CASCADE")
        let state = await world.sqlState(of: truncate)
        #expect(state == "23001", "TRUNCATE \(table)")
      }
      #expect(try await world.scalar("SELECT count(*)::int FROM audit_log") > 0)
    }
  }
}

extension TestWorld {
  /// The SQLSTATE PostgreSQL refused `query` with; nil if it ran.
  func sqlState(of query: PostgresQuery) async -> String? {
    do {
      try await database.query(query)
      return nil
    } catch let error as PSQLError {
      return error.serverInfo?[.sqlState] ?? "\(error)"
    } catch {
      return "\(error)"
    }
  }
}

/// A flag one task sets and others read.
final class Flag: Sendable {
  private let state = Mutex(false)
  var isSet: Bool { state.withLock { $0 } }
  func set() { state.withLock { $0 = true } }
}

/// Files without surprises: what an upload may carry and where it goes.
@Suite struct HostileFileTests {
  /// A camt statement with a DTD is refused before it is parsed: before, FoundationXML
  /// expanded its entities, so `&code;` below became the invoice's payment code and the line
  /// was recovered.
  @Test func aCamtFileWithADoctypeIsRefused() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      let day = BusinessDate(containing: world.clock.now)
      let (_, code, total) = try await world.invoice(client)
      let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE Document [<!ENTITY code "\(code)">]>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr>
        <Stmt><Id>S1</Id>
        <Ntry><Amt Ccy="VND">\(total)</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
          <BookgDt><Dt>\(day)</Dt></BookgDt>
          <NtryDtls><TxDtls><Refs><AcctSvcrRef>DTD.1</AcctSvcrRef></Refs>
            <RmtInf><Strd><CdtrRefInf><Ref>&code;</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
        </Stmt></BkToCstmrStmt></Document>
        """
      let r = try await client.upload(
        Array(xml.utf8), connector: bank.code, day: day, key: world.accountantKey, type: "application/xml")
      #expect(r.status == .unprocessableContent)
      #expect(r.problemCode == "statement_invalid")
      #expect(r.json["detail"]?.stringValue?.contains("document type declaration") == true, "\(r.json)")
      #expect(try await world.scalar("SELECT count(*)::int FROM settlements") == 0)
      #expect(try await world.scalar("SELECT count(*)::int FROM payments") == 0)
    }
  }

  /// Spool files are FeePay's alone: the folder 0700, each file 0600 from its creation.
  @Test func spoolFilesAreReadableByFeePayAlone() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("sp-\(UUID().uuidString)/a/tmp")
    defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent().deletingLastPathComponent()) }
    let file = try Spool(directory: root).create("statement")
    try file.write(Array("bank_txn_id\n".utf8))
    try file.close()
    let attributes = try FileManager.default.attributesOfItem(atPath: file.url.path)
    #expect(attributes[.posixPermissions] as? Int == 0o600)
    #expect(attributes[.size] as? Int == 12)
    #expect(try FileManager.default.attributesOfItem(atPath: root.path)[.posixPermissions] as? Int == 0o700)
    file.remove()
    #expect(!FileManager.default.fileExists(atPath: file.url.path))
  }

  /// `master.key` is born 0600, and a key file other users may read stops the start.
  @Test func theMasterKeyIsNeverReadableByOthers() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("mk-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let first = try MasterKey.load(environment: [:], dataRoot: root)
    let file = root.appendingPathComponent("master.key")
    let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    let again = try MasterKey.load(environment: [:], dataRoot: root)
    #expect(try again.open(first.seal("x", context: "c"), context: "c") == "x", "the same key is read back")
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
    let refused = #expect(throws: FeePayError.self) { try MasterKey.load(environment: [:], dataRoot: root) }
    #expect(refused?.detail.contains("chmod 600") == true, "\(refused?.detail ?? "")")
    // FEEPAY_MASTER_KEY_FILE likewise; group-readable (a secret mounted for a group) is allowed.
    let keyFile = root.appendingPathComponent("mounted.key")
    try Data(SecretBox.generateMasterKey().utf8).write(to: keyFile)
    for (mode, allowed) in [(0o604, false), (0o644, false), (0o640, true), (0o400, true)] {
      try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: keyFile.path)
      let loaded = Result { try MasterKey.load(environment: ["FEEPAY_MASTER_KEY_FILE": keyFile.path], dataRoot: nil) }
      #expect(((try? loaded.get()) != nil) == allowed, "mode \(String(mode, radix: 8))")
    }
  }
}

/// Statement uploads against a real `feepay serve`: a full disk answers that upload and
/// nothing else, and only so many run at once.
@Suite(.serialized) struct UploadLimitTests {
  static func csv(lines: Int, at date: Date) -> [UInt8] {
    var csv = StatementCSV()
    for i in 0..<lines { csv.add("BIG.\(i)", amount: 1000, at: date, memo: String(repeating: "x", count: 40)) }
    return csv.bytes
  }

  /// Under a 1 MiB file size limit (a full disk, as far as a write can tell) a 3 MiB upload
  /// is answered 507 and leaves nothing behind; the server keeps serving (before, the trap
  /// in `FileHandle.write` ended the process with every callback in flight).
  @Test func aFullDiskRefusesTheUploadAndTheServerRunsOn() async throws {
    let spool = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: spool) }
    try await withServedFeePay(environment: ["FEEPAY_SPOOL_DIR": spool.path], fileSizeLimit: 1 << 20) {
      world, served, _ in
      let bank = try await TestBank.hmac(world)
      let day = BusinessDate(containing: Date())
      let big = Self.csv(lines: 36_000, at: Date())
      #expect(big.count > 3 << 20)
      let refused = try await served.send(
        .POST, "/v1/settlements?connector=\(bank.code)&business_date=\(day)", key: world.accountantKey, raw: big,
        contentType: "text/csv")
      #expect(refused.code == 507, "\(refused.json)")
      #expect(refused.problemCode == "insufficient_storage")
      #expect(served.process.isRunning)
      #expect(try await world.scalar("SELECT count(*)::int FROM settlements") == 0)
      #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path).isEmpty, "the partial file is removed")
      let mode = try FileManager.default.attributesOfItem(atPath: spool.path)[.posixPermissions] as? Int
      #expect(mode == 0o700)
      // The service runs on: a callback is recorded, a small statement is imported.
      let invoice = try await served.invoice(world)
      #expect(try await served.pay(bank, code: invoice.code, amount: invoice.total, txn: "SMALL.1").code == 200)
      var small = StatementCSV()
      small.add("SMALL.1", code: invoice.code, amount: invoice.total, at: Date())
      let imported = try await served.send(
        .POST, "/v1/settlements?connector=\(bank.code)&business_date=\(day)", key: world.accountantKey,
        raw: small.bytes, contentType: "text/csv")
      #expect(imported.code == 201, "\(imported.json)")
      #expect(try await served.send(.GET, "/health/ready").code == 200)
    }
  }

  /// With `FEEPAY_MAX_UPLOADS=1`, a second upload while one is being received is answered
  /// 429 with `Retry-After` at once; the first completes.
  @Test func onlySoManyUploadsRunAtOnce() async throws {
    try await withServedFeePay(environment: ["FEEPAY_MAX_UPLOADS": "1"]) { world, served, _ in
      let bank = try await TestBank.hmac(world)
      let day = BusinessDate(containing: Date())
      let body = Self.csv(lines: 200, at: Date())
      let received = Flag()
      // The first upload's body arrives slowly: half, a pause, the rest.
      var request = HTTPClientRequest(
        url: served.baseURL + "/v1/settlements?connector=\(bank.code)&business_date=\(day)")
      request.method = .POST
      request.headers.add(name: "Authorization", value: "Bearer \(world.accountantKey)")
      request.headers.add(name: "Content-Type", value: "text/csv")
      let half = body.count / 2
      let chunks = [Array(body[..<half]), Array(body[half...])]
      request.body = .stream(
        AsyncStream<ByteBuffer> { continuation in
          Task {
            continuation.yield(ByteBuffer(bytes: chunks[0]))
            try? await Task.sleep(for: .seconds(2))
            received.set()
            continuation.yield(ByteBuffer(bytes: chunks[1]))
            continuation.finish()
          }
        }, length: .known(Int64(body.count)))
      async let first = served.http.execute(request, timeout: .seconds(60))
      try await Task.sleep(for: .milliseconds(700))
      let second = try await served.send(
        .POST, "/v1/settlements?connector=\(bank.code)&business_date=\(day)", key: world.accountantKey,
        raw: Self.csv(lines: 3, at: Date()), contentType: "text/csv")
      #expect(!received.isSet, "the second upload was answered while the first was still arriving")
      #expect(second.code == 429)
      #expect(second.problemCode == "rate_limited")
      #expect(second.headers.first(name: "retry-after") == "30")
      let response = try await first
      _ = try await response.body.collect(upTo: 1 << 20)
      #expect(response.status.code == 201)
      #expect(try await world.scalar("SELECT count(*)::int FROM settlements") == 1)
    }
  }
}

/// Receipts that prove what they say: only the JWS FeePay stored is the receipt, and a
/// revoked key's receipts say so.
@Suite struct ReceiptTrustTests {
  /// With the signing key leaked, anyone can sign a receipt under a real number with other
  /// contents; its signature verifies, but it is not the JWS FeePay stored, so it is not
  /// valid. Revoking the key makes the genuine receipts report `revoked_key`, takes the key
  /// out of the JWKS's `keys`, and the next receipt is signed with a new key.
  @Test func aForgedReceiptIsNotValidAndARevokedKeySaysSo() async throws {
    try await withFeePay(isolated: true) { world, client in
      let id = try await world.paidInvoice(client)
      #expect(try await world.receipts.issueBatch(now: world.clock.now) == 1)
      let receipt = try await client.send(.get, "/v1/invoices/\(id)/receipt", key: world.portalKey).json
      let jws = try #require(receipt["jws"]?.stringValue)
      let parsed = try JWS.parse(jws)
      let kid = try #require(parsed.kid)
      // The leak: the private key, as someone with the master key and a dump would have it.
      let rows = try await world.database.query("SELECT private_sealed FROM signing_keys WHERE kid = \(kid)")
      let sealed = try rows[0].decode(Data.self)
      let privateKey = try #require(
        Base64URL.decode(try world.secrets.open(Array(sealed), context: "signing-key:\(kid)")))
      guard case .object(var payload) = try JSONValue.parse(parsed.payload) else { Issue.record("payload"); return }
      payload["total_amount"] = 1_000_000
      let forged = try JWS.sign(
        payload: JSONValue.object(payload).jsonBytes, kid: kid, type: ReceiptStore.jwsType,
        privateKey: privateKey)
      let verdict = try await client.send(.post, "/v1/receipts/verify", json: ["jws": .string(forged)]).json
      #expect(verdict["valid"] == false)
      #expect(verdict["matches_stored"] == false)
      #expect(verdict["reason"]?.stringValue?.hasPrefix("not_stored") == true, "\(verdict)")
      let genuine = try await client.send(.post, "/v1/receipts/verify", json: ["jws": .string(jws)]).json
      #expect(genuine["valid"] == true)
      #expect(genuine["matches_stored"] == true)

      try await world.receipts.revokeKey(kid, reason: "leaked in a backup", actor: "test", now: world.clock.now)
      await #expect(throws: FeePayError.self) {
        try await world.receipts.revokeKey(kid, reason: "again", actor: "test", now: world.clock.now)
      }
      let revoked = try await client.send(.post, "/v1/receipts/verify", json: ["jws": .string(jws)]).json
      #expect(revoked["valid"] == false)
      #expect(revoked["reason"] == "revoked_key")
      let jwks = try await client.send(.get, "/.well-known/jwks.json").json
      #expect(jwks["keys"]?.arrayValue?.contains { $0["kid"]?.stringValue == kid } == false)
      #expect(
        jwks["revoked_keys"]?.arrayValue?.contains {
          $0["kid"]?.stringValue == kid && $0["revoked_at"]?.stringValue != nil
        } == true)
      let lookup = try #require(receipt["lookup_code"]?.stringValue)
      let page = try await client.send(.get, "/receipts/\(lookup)")
      #expect(page.status == .ok)
      #expect(!page.text.isEmpty)
      // The next receipt is signed with another key, and verifies.
      let next = try await world.paidInvoice(client)
      #expect(try await world.receipts.issueBatch(now: world.clock.now) == 1)
      let nextJWS = try #require(
        try await client.send(.get, "/v1/invoices/\(next)/receipt", key: world.portalKey).json["jws"]?.stringValue)
      #expect(try JWS.parse(nextJWS).kid != kid)
      #expect(
        try await client.send(.post, "/v1/receipts/verify", json: ["jws": .string(nextJWS)]).json["valid"] == true)
      #expect(
        try await world.scalar("SELECT count(*)::int FROM audit_log WHERE action = 'signing_key.revoke'") == 1)
    }
  }
}

/// Money moves only where it may.
@Suite struct ResolutionIntegrityTests {
  /// A connector that collects for agency A only holds money no invoice of agency B can
  /// take: apply_to_invoice is refused, nothing moves; an invoice of A takes it.
  @Test func applyToInvoiceRespectsTheConnectorsAgencies() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world, agencies: [world.agency])
      let exception = try #require(
        try await bank.pay(client, paymentCode: "FP000000004", amount: 16000).json["exception_id"]?.stringValue)
      let other = try await client.createInvoice(
        world.invoiceBody { $0["agency_code"] = .string(world.otherAgency) }, key: world.otherPortalKey)
      let otherID = try #require(other.json["id"]?.stringValue)
      #expect(other.json["total_amount"] == 16000)
      let refused = try await client.send(
        .post, "/v1/exceptions/\(exception)/resolve", key: world.accountantKey,
        json: ["action": "apply_to_invoice", "invoice_id": .string(otherID), "note": "wrong agency"])
      #expect(refused.status == .unprocessableContent)
      #expect(refused.json["errors"]?[0]?["pointer"] == "/invoice_id")
      #expect(
        try await client.send(.get, "/v1/invoices/\(otherID)", key: world.otherPortalKey).json["status"] == "open")
      #expect(try await world.scalar("SELECT count(*)::int FROM payments") == 0)
      let (ownID, _, _) = try await world.invoice(client)
      let applied = try await client.resolve(
        exception, ["action": "apply_to_invoice", "invoice_id": .string(ownID), "note": "the citizen's own invoice"],
        world: world)
      #expect(applied.status == .ok, "\(applied.json)")
      #expect(try await client.send(.get, "/v1/invoices/\(ownID)", key: world.portalKey).json["status"] == "paid")
    }
  }
}

/// The audit log's hash chain, against a real `feepay serve` that seals it by itself.
@Suite(.serialized) struct AuditChainTests {
  /// Changes made with the owner's powers (triggers disabled), each in a database of its own:
  /// an edit, a deletion, an entry slipped in under an old transaction.
  enum Tampering: String, CaseIterable { case edit, delete, insert }

  @Test(arguments: Tampering.allCases) func auditVerifyNamesTheFirstBadEntry(_ tampering: Tampering) async throws {
    try await withServedFeePay { world, served, configuration in
      let bank = try await TestBank.hmac(world)
      for _ in 0..<3 {
        let invoice = try await served.invoice(world)
        #expect(try await served.pay(bank, code: invoice.code, amount: invoice.total).code == 200)
      }
      let total = try await world.scalar("SELECT count(*)::int FROM audit_log")
      try await waitUntil("the sealer has sealed every entry") {
        try await world.scalar("SELECT count(*)::int FROM audit_chain") >= total
      }
      let env = [
        "DATABASE_URL": CommandLineTests.url(for: configuration), "FEEPAY_MASTER_KEY": served.masterKey,
        "FEEPAY_MIGRATIONS_DIR": TestEnvironment.migrationsDirectory.path,
      ]
      let intact = try CommandLineTests.run(["audit", "verify"], environment: env)
      #expect(intact.status == 0, "\(intact.stderr)")
      #expect(intact.stdout.contains("audit chain intact: \(total) links checked") || intact.stdout.contains("intact"))
      // The API shows each entry with its link (once the sealer has caught up again).
      let now = try await world.scalar("SELECT count(*)::int FROM audit_log")
      try await waitUntil("the sealer has sealed every entry") {
        try await world.scalar("SELECT count(*)::int FROM audit_chain") >= now
      }
      let page = try await served.send(.GET, "/v1/audit?limit=100", key: world.auditorKey)
      #expect(page.code == 200)
      #expect(page.json["data"]?.arrayValue?.allSatisfy { $0["chain"]?["seq"]?.intValue != nil } == true)
      #expect(try await served.send(.GET, "/v1/audit", key: world.portalKey).code == 403)
      #expect(try await served.send(.GET, "/v1/audit", key: world.accountantKey).code == 403)

      // The second sealed entry is the one tampered with.
      let rows = try await world.database.query("SELECT entry_id FROM audit_chain WHERE seq = 2")
      let victim = try rows[0].decode(Int64.self)
      let expected: String
      switch tampering {
      case .edit:
        try await world.database.transaction { c in
          try await c.query(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", logger: world.database.logger)
          try await c.query(
            "UPDATE audit_log SET summary = summary || '{\"amount\": 1}' WHERE id = \(victim)",
            logger: world.database.logger)
          try await c.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only", logger: world.database.logger)
        }
        expected = "entry \(victim) (link 2) does not match its seal"
      case .delete:
        try await world.database.transaction { c in
          try await c.query(
            "ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_append_only", logger: world.database.logger)
          try await c.query(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", logger: world.database.logger)
          try await c.query("DELETE FROM audit_chain WHERE seq = 2", logger: world.database.logger)
          try await c.query("DELETE FROM audit_log WHERE id = \(victim)", logger: world.database.logger)
          try await c.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only", logger: world.database.logger)
          try await c.query(
            "ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_append_only", logger: world.database.logger)
        }
        expected = "link 2 is missing"
      case .insert:
        let inserted = try await world.database.query(
          """
          INSERT INTO audit_log (at, actor, action, subject, summary, txid)
          VALUES (now() - interval '1 day', 'staff:nobody', 'exception.resolve', 'exc_x', '{}', 1) RETURNING id
          """)[0].decode(Int64.self)
        expected = "entry \(inserted) is in no link"
      }
      let broken = try CommandLineTests.run(["audit", "verify"], environment: env)
      #expect(broken.status == 1, "\(broken.stdout) \(broken.stderr)")
      #expect(broken.stderr.contains(expected), "\(broken.stderr)")
    }
  }

  /// A closed day is anchored: the chain head after its close, signed with the receipts' key
  /// (verifiable with the JWKS alone), public at /v1/audit/anchors.
  @Test func aClosedDayIsAnchoredAndSigned() async throws {
    try await withServedFeePay { world, served, _ in
      let day = BusinessDate(containing: Date())
      let closed = try await served.send(
        .POST, "/v1/business-days/\(day)/close", key: world.accountantKey, json: ["force": true, "note": "anchor"])
      #expect(closed.code == 200, "\(closed.json)")
      var anchors = try await served.send(.GET, "/v1/audit/anchors")
      for _ in 0..<300 where anchors.json["data"]?.arrayValue?.isEmpty != false {
        try await Task.sleep(for: .milliseconds(100))
        anchors = try await served.send(.GET, "/v1/audit/anchors")
      }
      let anchor = try #require(anchors.json["data"]?[0])
      #expect(anchor["business_date"]?.stringValue == day.description)
      let jws = try #require(anchor["jws"]?.stringValue)
      let parsed = try JWS.parse(jws)
      let jwks = try await served.send(.GET, "/.well-known/jwks.json").json
      let key = try #require(
        jwks["keys"]?.arrayValue?.first { $0["kid"]?.stringValue == parsed.kid }?["x"]?.stringValue.flatMap(
          Base64URL.decode))
      try JWS.verify(parsed, publicKey: key)
      let payload = try JSONValue.parse(parsed.payload)
      #expect(payload["business_date"]?.stringValue == day.description)
      #expect(payload["hash"] == anchor["hash"])
      #expect(payload["seq"] == anchor["seq"])
      // The close's own audit entry is inside the anchored part of the chain.
      let closeEntry = try await world.scalar(
        """
        SELECT count(*)::int FROM audit_chain c JOIN audit_log a ON a.id = c.entry_id
        WHERE a.action = 'business_day.close' AND c.seq <= \(anchor["seq"]?.intValue ?? 0)
        """)
      #expect(closeEntry == 1)
    }
  }
}

/// The sealer is safe with several instances: sealing from many tasks at once links every
/// entry exactly once, in one unbroken chain.
@Suite struct AuditSealingConcurrencyTests {
  @Test func manySealersAtOnceLinkEachEntryOnce() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      let chain = AuditChainStore(database: world.database, receipts: world.receipts)
      // Entries keep arriving while eight sealers race.
      try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<8 {
          group.addTask {
            for _ in 0..<5 {
              let (_, code, total) = try await world.invoice(client)
              _ = try await bank.pay(client, paymentCode: code, amount: total)
              try await chain.seal(now: world.clock.now, limit: 7)
            }
          }
        }
        try await group.waitForAll()
      }
      // The sealer takes only entries older than every transaction still running in the
      // whole cluster (other tests' included), so the last ones may take a moment.
      let entries = try await world.scalar("SELECT count(*)::int FROM audit_log")
      try await waitUntil("every entry is sealed") {
        _ = try await chain.seal(now: world.clock.now)
        return try await world.scalar("SELECT count(*)::int FROM audit_chain") >= entries
      }
      #expect(entries > 80)
      #expect(try await world.scalar("SELECT count(*)::int FROM audit_chain") == entries)
      #expect(try await world.scalar("SELECT count(DISTINCT entry_id)::int FROM audit_chain") == entries)
      #expect(try await world.scalar("SELECT max(seq)::int FROM audit_chain") == entries, "no gap in the links")
      let (checked, firstBreak) = try await chain.verify()
      #expect(firstBreak == nil)
      #expect(checked == entries)
    }
  }
}

/// Four eyes: an uploaded file never pays an invoice on its own, and money leaves suspense
/// only when a second person approves what a first proposed.
@Suite struct FourEyesTests {
  func balances(_ world: TestWorld, _ account: String) async throws -> Int { try await world.balance(account) }

  static func actor(_ key: String) -> String { "key:\(NewAPIKey.lookupPrefix(of: key)!)" }

  /// A statement line naming an open invoice with exactly its amount, on a connector whose
  /// statements people upload: before, the invoice was paid on the uploader's word; now the
  /// money waits as `recovery_pending_approval`, the uploader cannot approve it, a late
  /// callback for it is a duplicate, and a second accountant's approval pays the invoice once.
  @Test func aRecoveredLineWaitsForASecondPerson() async throws {
    try await withFeePay(isolated: true) { world, client in
      world.clock.set(try #require(Timestamp.parse("2026-11-29T12:00:00+07:00")))
      let bank = try await TestBank.hmac(world)
      let (id, code, total) = try await world.invoice(client)
      var csv = StatementCSV()
      csv.add("LOST.1", code: code, amount: total, at: world.clock.now)
      let day = BusinessDate(containing: world.clock.now)
      let r = try await client.upload(csv.bytes, connector: bank.code, day: day, key: world.accountantKey)
      #expect(r.status == .created, "\(String(decoding: r.bytes, as: UTF8.self))")
      #expect(r.json["summary"]?["recovered"]?["count"] == 0)
      #expect(r.json["summary"]?["recovery_pending_approval"]?["count"] == 1)
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["status"] == "open")
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(id)") == 0)
      #expect(try await world.scalar("SELECT count(*)::int FROM ledger_journals") == 0, "nothing is posted yet")
      let exceptionID = try #require(
        try await world.database.query(
          "SELECT id FROM payment_exceptions WHERE kind = 'recovery_pending_approval' AND invoice_id = \(id)"
        ).first?.decode(String.self))
      let listed = try await client.send(.get, "/v1/exceptions?connector=\(bank.code)", key: world.auditorKey).json
      let e = try #require(listed["data"]?[0])
      #expect(e["id"] == .string(exceptionID))
      #expect(e["kind"] == "recovery_pending_approval")
      #expect(e["status"] == "open")
      #expect(e["amount"]?.intValue == total)
      #expect(e["proposal"]?["action"] == "apply_to_invoice")
      #expect(e["proposal"]?["invoice_id"] == .string(id))
      #expect(e["proposal"]?["by"] == .string(Self.actor(world.accountantKey)))

      // The uploader cannot approve their own file's proposal; nothing moves.
      let own = try await client.send(.post, "/v1/exceptions/\(exceptionID)/approve", key: world.accountantKey)
      #expect(own.status == .conflict)
      #expect(own.problemCode == "same_person")
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["status"] == "open")
      // Nor can anyone propose something else while it waits.
      let other = try await client.send(
        .post, "/v1/exceptions/\(exceptionID)/resolve", key: world.approverKey,
        json: ["action": "refund", "note": "x"])
      #expect(other.problemCode == "proposal_pending")
      // A late callback for the same bank transaction is a duplicate of the held money.
      let late = try await bank.pay(client, paymentCode: code, amount: total, txn: "LOST.1")
      #expect(late.json["status"] == "duplicate", "\(late.json)")
      #expect(try await world.scalar("SELECT count(*)::int FROM payments WHERE invoice_id = \(id)") == 0)

      // The second accountant approves, an hour later: the invoice is paid once, from the bank's money.
      let booked = world.clock.now
      world.clock.advance(by: 3600)
      let approved = try await client.send(.post, "/v1/exceptions/\(exceptionID)/approve", key: world.approverKey)
      #expect(approved.status == .ok, "\(approved.json)")
      #expect(approved.json["status"] == "resolved")
      #expect(approved.json["resolution"]?["by"] == .string(Self.actor(world.accountantKey)))
      #expect(approved.json["resolution"]?["approved_by"] == .string(Self.actor(world.approverKey)))
      #expect(approved.json["proposal"] == .null)
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["status"] == "paid")
      // Paid as the statement line would have paid it at once: its transaction, its time.
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM payments WHERE invoice_id = \(id) AND source = 'statement' AND bank_txn_id = 'LOST.1' AND paid_at = \(booked)"
        ) == 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM bank_transactions b JOIN payments p ON p.id = b.payment_id WHERE b.bank_txn_id = 'LOST.1' AND p.invoice_id = \(id)"
        ) == 1)
      #expect(
        try await world.scalar("SELECT count(*)::int FROM events WHERE subject_id = \(id) AND type = 'invoice.paid'")
          == 1)
      #expect(try await balances(world, "bank_settled:\(bank.code)") == Int(total))
      #expect(try await balances(world, "suspense:\(bank.code)") == 0)
      #expect(try await world.scalar("SELECT (sum(debit) - sum(credit))::int FROM ledger_postings") == 0)
      let again = try await client.send(.post, "/v1/exceptions/\(exceptionID)/approve", key: world.approverKey)
      #expect(again.status == .conflict)
      // The database itself keeps a resolution as it is (FP002, translated to a conflict).
      for change in [
        "UPDATE payment_exceptions SET resolution = '{}'::jsonb WHERE id = \(exceptionID)" as PostgresQuery,
        "UPDATE payment_exceptions SET status = 'open' WHERE id = \(exceptionID)",
      ] {
        let refused = await world.sqlState(of: change)
        #expect(refused?.contains("resolved already") == true, "\(refused ?? "accepted")")
      }
      // Both steps are in the audit log, each under its own person.
      let audit = try await world.database.query(
        "SELECT action, actor FROM audit_log WHERE subject = \(exceptionID) ORDER BY id"
      ).map { try $0.decode((String, String).self) }
      #expect(audit.map(\.0) == ["exception.propose", "exception.approve"])
      #expect(audit.map(\.1) == [Self.actor(world.accountantKey), Self.actor(world.approverKey)])
    }
  }

  /// Auto-recovery pays from a statement only where the bank's signed channel is declared,
  /// and only for a machine's upload: `set-auto-recovery on` is refused on an upload
  /// channel, and a person's upload (the console, `feepay reconcile`) waits for approval
  /// even on a signed one.
  @Test func autoRecoveryNeedsTheSignedChannelAndAMachine() async throws {
    try await withFeePay(isolated: true) { world, client in
      world.clock.set(try #require(Timestamp.parse("2026-11-29T12:00:00+07:00")))
      let connectors = ConnectorStore(database: world.database, secrets: world.secrets)
      let plain = try await TestBank.hmac(world)
      #expect(try await world.scalar("SELECT auto_recovery::int FROM connectors WHERE code = \(plain.code)") == 0)
      await #expect(throws: FeePayError.self) {
        try await connectors.setAutoRecovery(code: plain.code, enabled: true, actor: "test", at: world.clock.now)
      }
      // The database itself refuses auto-recovery on an upload channel (a CHECK constraint).
      #expect(
        await world.sqlState(of: "UPDATE connectors SET auto_recovery = true WHERE code = \(plain.code)") == "23514")
      #expect(try await world.scalar("SELECT auto_recovery::int FROM connectors WHERE code = \(plain.code)") == 0)

      let signed = try await TestBank.hmac(world, signedStatements: true)
      let settlements = SettlementStore(
        database: world.database, ids: IDGenerator(clock: world.clock), presenter: InvoicePresenter(publicBaseURL: ""))
      let (byPerson, code1, total1) = try await world.invoice(client)
      var csv = StatementCSV()
      csv.add("SIGNED.1", code: code1, amount: total1, at: world.clock.now)
      let file = FileManager.default.temporaryDirectory.appendingPathComponent("fourEyes-\(UUID().uuidString).csv")
      try Data(csv.bytes).write(to: file)
      defer { try? FileManager.default.removeItem(at: file) }
      let spool = Spool(directory: FileManager.default.temporaryDirectory.appendingPathComponent("feepay-test-spool"))
      let summary = try await settlements.importStatement(
        file, format: .csv, connector: signed.code, businessDate: BusinessDate(containing: world.clock.now),
        sha256: try StatementImporter.sha256(of: file), spool: spool,
        uploader: SettlementStore.Uploader(actor: "staff:ke.toan@example.vn", isPerson: true), now: world.clock.now)
      #expect(summary.summary["recovery_pending_approval"]?.count == 1)
      #expect(try await client.send(.get, "/v1/invoices/\(byPerson)", key: world.portalKey).json["status"] == "open")

      // A machine's key uploading for the signed channel: the invoice is paid, as before.
      let (byMachine, code2, total2) = try await world.invoice(client)
      var next = StatementCSV()
      next.add("SIGNED.2", code: code2, amount: total2, at: world.clock.now)
      let r = try await client.upload(
        next.bytes, connector: signed.code, day: BusinessDate(containing: world.clock.now.addingTimeInterval(-86_400)),
        key: world.accountantKey)
      #expect(r.status == .created, "\(String(decoding: r.bytes, as: UTF8.self))")
      #expect(r.json["summary"]?["recovered"]?["count"] == 1)
      #expect(try await client.send(.get, "/v1/invoices/\(byMachine)", key: world.portalKey).json["status"] == "paid")

      // Back to upload: auto-recovery goes off with it.
      try await connectors.setStatementChannel(
        code: signed.code, channel: .upload, actor: "test", at: world.clock.now)
      #expect(try await world.scalar("SELECT auto_recovery::int FROM connectors WHERE code = \(signed.code)") == 0)
    }
  }

  /// A proposal can be withdrawn (by its proposer, or by the second person declining it):
  /// the exception stays open with nothing proposed, nothing moved, both steps audited.
  @Test func aProposalCanBeWithdrawn() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      let id = try #require(
        try await bank.pay(client, paymentCode: "FP000000004", amount: 900).json["exception_id"]?.stringValue)
      let nothing = try await client.send(.post, "/v1/exceptions/\(id)/approve", key: world.approverKey)
      #expect(nothing.problemCode == "no_proposal")
      let proposed = try await client.send(
        .post, "/v1/exceptions/\(id)/resolve", key: world.accountantKey,
        json: ["action": "write_off", "note": "too small to chase"])
      #expect(proposed.status == .accepted)
      let withdrawn = try await client.send(
        .post, "/v1/exceptions/\(id)/withdraw", key: world.approverKey, json: ["note": "ask the bank first"])
      #expect(withdrawn.status == .ok, "\(withdrawn.json)")
      #expect(withdrawn.json["status"] == "open")
      #expect(withdrawn.json["proposal"] == .null)
      #expect(try await balances(world, "write_off") == 0)
      let badNote = try await client.send(
        .post, "/v1/exceptions/\(id)/withdraw", key: world.approverKey, json: ["note": 5])
      #expect(badNote.status == .unprocessableContent)
      #expect(
        try await client.send(.post, "/v1/exceptions/\(id)/withdraw", key: world.portalKey).status == .forbidden)
      // Proposed again, this time as a refund, and approved.
      #expect(try await client.resolve(id, ["action": "refund", "note": "returned"], world: world).status == .ok)
      #expect(try await balances(world, "refunds_payable") == -900)
      let audit = try await world.database.query(
        "SELECT action FROM audit_log WHERE subject = \(id) AND action LIKE 'exception.%' ORDER BY id"
      ).map { try $0.decode(String.self) }
      #expect(audit == ["exception.propose", "exception.withdraw", "exception.propose", "exception.approve"])
    }
  }

  /// Below `FEEPAY_FOUR_EYES_ABOVE` one accountant resolves alone; above it, and for a
  /// recovery from an uploaded file whatever its amount, a second must approve.
  @Test func theThresholdDecidesWhoMayActAlone() async throws {
    try await withFeePay(isolated: true, configure: { $0.fourEyesAbove = 1000 }) { world, client in
      world.clock.set(try #require(Timestamp.parse("2026-11-29T12:00:00+07:00")))
      let bank = try await TestBank.hmac(world)
      let small = try #require(
        try await bank.pay(client, paymentCode: "FP000000004", amount: 1000).json["exception_id"]?.stringValue)
      let large = try #require(
        try await bank.pay(client, paymentCode: "FP000000004", amount: 1001).json["exception_id"]?.stringValue)
      let alone = try await client.send(
        .post, "/v1/exceptions/\(small)/resolve", key: world.accountantKey, json: ["action": "refund", "note": "x"])
      #expect(alone.status == .ok)
      #expect(alone.json["resolution"]?["approved_by"] == .null)
      let needsTwo = try await client.send(
        .post, "/v1/exceptions/\(large)/resolve", key: world.accountantKey, json: ["action": "refund", "note": "x"])
      #expect(needsTwo.status == .accepted)
      #expect(try await balances(world, "refunds_payable") == -1000)
      // A recovery worth 16,000 (above) or worth less: both wait.
      let (id, code, total) = try await world.invoice(client)
      var csv = StatementCSV()
      csv.add("LOST.9", code: code, amount: total, at: world.clock.now)
      let r = try await client.upload(
        csv.bytes, connector: bank.code, day: BusinessDate(containing: world.clock.now), key: world.accountantKey)
      #expect(r.json["summary"]?["recovery_pending_approval"]?["count"] == 1)
      #expect(try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["status"] == "open")
      #expect(
        FourEyes(above: 1_000_000).needsApproval(kind: .recoveryPendingApproval, action: .applyToInvoice, amount: 1))
    }
  }
}

/// Two database roles: the owner migrates; the runtime role the service works as cannot
/// rewrite history — not by UPDATE, DELETE, TRUNCATE, nor by altering a table or turning
/// its triggers off.
@Suite struct DatabaseRoleTests {
  /// The SQLSTATE the runtime role is refused `query` with, or nil when it ran.
  static func refusal(_ runtime: PostgresClient.Configuration, _ query: PostgresQuery) async throws -> String? {
    try await withClient(runtime) { client in
      do {
        _ = try await client.query(query).collect()
        return nil
      } catch let error as PSQLError {
        return error.serverInfo?[.sqlState] ?? "\(error)"
      }
    }
  }

  @Test func theRuntimeRoleCannotRewriteHistory() async throws {
    let owner = try await TestEnvironment.shared.migratedDatabase()
    let runtime = TestEnvironment.runtime(owner)
    // An audit entry, written by the owner, for the runtime role to try to change.
    try await withClient(owner) { client in
      try await client.query(
        """
        INSERT INTO audit_log (at, actor, action, subject, summary)
        VALUES (now(), 'test', 'test.row', 'x', '{}'::jsonb)
        """)
    }
    let insufficientPrivilege = "42501"
    let refused: [PostgresQuery] = [
      "UPDATE audit_log SET actor = 'someone else'",
      "DELETE FROM audit_log",
      "TRUNCATE audit_log",
      "ALTER TABLE audit_log DISABLE TRIGGER ALL",
      "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
      "DROP TABLE audit_log",
      "DELETE FROM payments",
      "UPDATE ledger_postings SET debit = 0",
      "TRUNCATE ledger_postings, ledger_journals",
      "DELETE FROM audit_chain",
      "UPDATE business_days SET note = 'x'",
      "DELETE FROM receipts",
      "DELETE FROM settlement_lines",
      "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (9999, 'x', 'x', now())",
      "CREATE TABLE shadow (a int)",
      "CREATE TRIGGER quiet BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION feepay_append_only()",
      "SET session_replication_role = replica",
      "SELECT feepay_grant_runtime('feepay_test_runtime')",
    ]
    for query in refused {
      let state = try await Self.refusal(runtime, query)
      #expect(state == insufficientPrivilege, "\(query.sql): \(state ?? "ran")")
    }
    // What the service does, it may do.
    let allowed: [PostgresQuery] = [
      "SELECT count(*) FROM audit_log",
      "INSERT INTO audit_log (at, actor, action, subject, summary) VALUES (now(), 'rt', 'test.row', 'y', '{}'::jsonb)",
      "SELECT version FROM schema_migrations",
      "SELECT feepay_analyze_settlement_lines()",
      "DELETE FROM idempotency_keys WHERE false",
      "UPDATE invoices SET status = status WHERE false",
    ]
    for query in allowed {
      #expect(try await Self.refusal(runtime, query) == nil, "\(query.sql)")
    }
    #expect(try await CommandLineTests.scalar(owner, "SELECT count(*)::int FROM audit_log") == 2)
  }

  /// `feepay migrate` with DATABASE_OWNER_URL applies the files as the owner and grants
  /// DATABASE_URL's role; commands then work as the runtime role, which owns nothing.
  @Test func migrateAsTheOwnerGrantsTheRuntimeRole() async throws {
    let owner = try await TestEnvironment.shared.makeDatabase(prefix: "feepay_roles")
    try await TestEnvironment.shared.ensureRuntimeRole()
    let runtime = TestEnvironment.runtime(owner)
    let env = [
      "DATABASE_URL": CommandLineTests.url(for: runtime), "DATABASE_OWNER_URL": CommandLineTests.url(for: owner),
      "FEEPAY_MASTER_KEY": SecretBox.generateMasterKey(), "LOG_LEVEL": "error",
    ]
    // Without the owner, the runtime role cannot create FeePay's tables: a clear error.
    var alone = env
    alone.removeValue(forKey: "DATABASE_OWNER_URL")
    let refused = try CommandLineTests.run(["migrate"], environment: alone)
    #expect(refused.status != 0)
    #expect(
      refused.stderr.contains("DATABASE_OWNER_URL"), "\(refused.stderr)"
    )
    let migrated = try CommandLineTests.run(["migrate"], environment: env)
    #expect(migrated.status == 0, "\(migrated.stderr)")
    #expect(
      try await CommandLineTests.scalar(
        owner,
        "SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public' AND tableowner = \(TestEnvironment.runtimeRole)"
      ) == 0)
    #expect(
      try await CommandLineTests.scalar(
        owner,
        """
        SELECT (has_table_privilege(\(TestEnvironment.runtimeRole), 'invoices', 'INSERT')
                AND NOT has_table_privilege(\(TestEnvironment.runtimeRole), 'audit_log', 'UPDATE')
                AND NOT has_table_privilege(\(TestEnvironment.runtimeRole), 'audit_log', 'TRUNCATE'))::int
        """) == 1)
    let added = try CommandLineTests.run(
      [
        "agency", "add", "--code", "SO-TP", "--name", "Sở Tư pháp", "--tax-code", "0301234567", "--bank-bin",
        "970436", "--account-number", "0071000123456", "--account-name", "SO TU PHAP", "--receipt-series", "26T",
      ], environment: alone)
    #expect(added.status == 0, "the runtime role runs commands once migrated: \(added.stderr)")
  }
}
