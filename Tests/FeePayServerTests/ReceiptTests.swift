import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

extension TestWorld {
  var receipts: ReceiptStore {
    ReceiptStore(
      database: database, secrets: secrets, ids: IDGenerator(clock: clock), publicBaseURL: "https://pay.example.vn")
  }

  /// An invoice created and paid through a fresh bank; answers the invoice id.
  func paidInvoice(_ client: any TestClientProtocol, bank: TestBank? = nil) async throws -> String {
    var chosen = bank
    if chosen == nil { chosen = try await TestBank.hmac(self) }
    guard let bank = chosen else { throw FeePayError(.internalError, "no bank") }
    let (id, code, total) = try await invoice(client)
    let r = try await bank.pay(client, paymentCode: code, amount: total)
    guard r.json["status"] == "accepted" else { throw FeePayError(.internalError, "payment not accepted") }
    return id
  }
}

/// Runs a program and answers its exit status and standard output.
func runProgram(_ arguments: [String], stdin: [UInt8]? = nil) throws -> (Int32, String) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = arguments
  let out = Pipe()
  p.standardOutput = out
  p.standardError = FileHandle.nullDevice
  let input = Pipe()
  if stdin != nil { p.standardInput = input }
  try p.run()
  if let stdin {
    input.fileHandleForWriting.write(Data(stdin))
    try input.fileHandleForWriting.close()
  }
  let data = out.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite(.timeLimit(.minutes(5))) struct ReceiptTests {
  @Test func aPaidInvoiceGetsASignedNumberedReceipt() async throws {
    try await withFeePay(isolated: true) { world, client in
      let id = try await world.paidInvoice(client)
      #expect(try await world.receipts.issueBatch(now: world.clock.now) == 1)
      #expect(try await world.receipts.issueBatch(now: world.clock.now) == 0)
      let r = try await client.send(.get, "/v1/invoices/\(id)/receipt", key: world.portalKey)
      #expect(r.status == .ok)
      let receipt = r.json
      #expect(receipt["type_name"] == "BIÊN LAI THU PHÍ, LỆ PHÍ")
      #expect(receipt["number"] == "0000001")
      let year = BusinessDate(containing: world.clock.now).year % 100
      // Circular 32/2025/TT-BTC's symbols: template EBL01, series of the year's digits and T.
      #expect(receipt["series"]?.stringValue == String(format: "%02dT", year))
      #expect(receipt["template_symbol"] == "EBL01")
      #expect(receipt["agency"]?["address"] == "141 Pasteur, phường Xuân Hòa, TP. Hồ Chí Minh")
      #expect(receipt["agency"]?["phone"] == "028 3829 0230")
      #expect(receipt["agency"]?["account_number"] == "0071000123456")
      #expect(receipt["total_amount"] == 16000)
      #expect(receipt["amount_in_words"] == "Mười sáu nghìn đồng")
      #expect(receipt["agency"]?["tax_code"] == "0301234567")
      #expect(receipt["payer"]?["name"] == "Nguyễn Văn An")
      #expect(receipt["payment"]?["method"] == "Chuyển khoản")
      #expect(receipt["status"] == "issued")
      let lookup = try #require(receipt["lookup_code"]?.stringValue)
      #expect(receipt["verify_url"]?.stringValue == "https://pay.example.vn/receipts/\(lookup)")
      let receiptID = try #require(receipt["id"]?.stringValue)
      #expect(
        try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json["receipt_id"]?.stringValue
          == receiptID)
      #expect(
        try await client.send(.get, "/v1/receipts/\(receiptID)", key: world.accountantKey).json["id"]?.stringValue
          == receiptID)
      #expect(try await client.send(.get, "/v1/receipts/\(receiptID)", key: world.otherPortalKey).status == .notFound)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM events WHERE subject_id = \(receiptID) AND type = 'receipt.issued'") == 1)

      let jws = try #require(receipt["jws"]?.stringValue)
      let verified = try await client.send(.post, "/v1/receipts/verify", json: ["jws": .string(jws)])
      #expect(verified.json["valid"] == true)
      #expect(verified.json["receipt"]?["id"]?.stringValue == receiptID)
      var tampered = Array(jws.utf8)
      let middle = jws.split(separator: ".")[0].count + 10
      tampered[middle] = tampered[middle] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
      let forged = try await client.send(
        .post, "/v1/receipts/verify", json: ["jws": .string(String(decoding: tampered, as: UTF8.self))])
      #expect(forged.json["valid"] == false)
      #expect(try await client.send(.post, "/v1/receipts/verify", json: ["jws": "nonsense"]).json["valid"] == false)
      #expect(try await client.send(.post, "/v1/receipts/verify", json: ["token": "x"]).status == .unprocessableContent)

      let jwks = try await client.send(.get, "/.well-known/jwks.json")
      let kid = try JWS.parse(jws).kid
      #expect(
        jwks.json["keys"]?.arrayValue?.contains { $0["kid"]?.stringValue == kid && $0["crv"] == "Ed25519" } == true)
    }
  }

  /// 2,000 payments arrive concurrently while two issuers run: numbers 1…2000, each once,
  /// in the order of issue.
  @Test func numbersAreGaplessWithTwoIssuersAndConcurrentPayments() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      let issuers = [world.receipts, world.receipts]
      let payments = Task {
        try await withThrowingTaskGroup(of: Void.self) { group in
          for worker in 0..<8 {
            group.addTask {
              for _ in 0..<250 {
                let (_, code, total) = try await world.invoice(client)
                _ = try await bank.pay(
                  client, paymentCode: code, amount: total, txn: "G.\(worker).\(UUID().uuidString)")
              }
            }
          }
          try await group.waitForAll()
        }
      }
      let issuing = Task {
        try await withThrowingTaskGroup(of: Void.self) { group in
          for issuer in issuers {
            group.addTask {
              // A lost payment must fail the test, not hang it: two minutes at most.
              let deadline = ContinuousClock.now + .seconds(120)
              while ContinuousClock.now < deadline {
                let issued = try await issuer.issueBatch(now: world.clock.now, limit: 50)
                if issued == 0 {
                  let left = try await world.scalar(
                    "SELECT count(*)::int FROM invoices WHERE agency_code = \(world.agency) AND (status <> 'paid' OR receipt_id IS NULL)"
                  )
                  let paid = try await world.scalar(
                    "SELECT count(*)::int FROM payments WHERE connector_code = \(bank.code)")
                  if left == 0 && paid == 2000 { return }
                  try await Task.sleep(for: .milliseconds(20))
                }
              }
              throw FeePayError(.internalError, "receipts were still missing after two minutes")
            }
          }
          try await group.waitForAll()
        }
      }
      try await payments.value
      try await issuing.value
      let rows = try await world.database.query(
        "SELECT number FROM receipts WHERE agency_code = \(world.agency) ORDER BY number")
      let numbers = try rows.map { try $0.decode(Int.self) }
      #expect(numbers == Array(1...2000))
      // In order of issue: a higher number never carries an earlier time.
      let disorder = try await world.scalar(
        """
        SELECT count(*)::int FROM (SELECT issued_at < lag(issued_at) OVER (ORDER BY number) AS back
                                   FROM receipts WHERE agency_code = \(world.agency)) x WHERE back
        """)
      #expect(disorder == 0)
    }
  }

  // An issuer killed mid-batch: FaultTests.anIssuerKilledMidBatchLeavesNoGap kills a real
  // `feepay serve` with SIGKILL while its batch transaction is open.

  @Test func aNewYearStartsANewSeriesAtOne() async throws {
    try await withFeePay(isolated: true) { world, client in
      let lastSecond = try #require(Timestamp.parse("2026-12-31T23:59:59+07:00"))
      world.clock.set(lastSecond.addingTimeInterval(-3600))
      _ = try await world.paidInvoice(client)
      _ = try await world.paidInvoice(client)
      world.clock.set(lastSecond)
      #expect(try await world.receipts.issueBatch(now: world.clock.now, limit: 1) == 1)
      world.clock.advance(by: 2)  // 2027-01-01 00:00:01 in Hanoi
      #expect(try await world.receipts.issueBatch(now: world.clock.now) == 1)
      let rows = try await world.database.query(
        "SELECT series, year, number FROM receipts WHERE agency_code = \(world.agency) ORDER BY issued_at")
      let got = try rows.map { try $0.decode((String, Int, Int).self) }
      #expect(got.map(\.0) == ["26T", "27T"])
      #expect(got.map(\.1) == [2026, 2027])
      #expect(got.map(\.2) == [1, 1])

      // A series set ahead of time for 2028 is used then.
      try await world.receipts.setSeries(
        agency: world.agency, year: 2028, template: "EBL02", series: "28T", actor: "test", now: world.clock.now)
      await #expect(throws: FeePayError.self) {
        try await world.receipts.setSeries(
          agency: world.agency, year: 2028, template: "EBL01", series: "27T", actor: "test", now: world.clock.now)
      }
      world.clock.set(try #require(Timestamp.parse("2028-03-01T09:00:00+07:00")))
      _ = try await world.paidInvoice(client)
      _ = try await world.receipts.issueBatch(now: world.clock.now)
      let series = try await world.database.query(
        "SELECT series FROM receipts WHERE agency_code = \(world.agency) AND year = 2028")
      #expect(try series[0].decode(String.self) == "28T")
    }
  }

  @Test func anAccountantReplacesAWrongReceipt() async throws {
    try await withFeePay(isolated: true) { world, client in
      let invoice = try await world.paidInvoice(client)
      _ = try await world.receipts.issueBatch(now: world.clock.now)
      let old = try await client.send(.get, "/v1/invoices/\(invoice)/receipt", key: world.portalKey).json
      let oldID = try #require(old["id"]?.stringValue)
      let body: JSONValue = [
        "reason": "Sai tên người nộp", "payer": ["name": "Nguyễn Văn Bình", "id_number": "079123456780"],
      ]
      #expect(
        try await client.send(.post, "/v1/receipts/\(oldID)/replace", key: world.portalKey, json: body).status
          == .forbidden)
      #expect(
        try await client.send(
          .post, "/v1/receipts/\(oldID)/replace", key: world.accountantKey, json: ["payer": ["name": "X"]]
        ).status
          == .unprocessableContent)
      #expect(try await world.scalar("SELECT count(*)::int FROM receipts WHERE invoice_id = \(invoice)") == 1)
      let replaced = try await client.send(.post, "/v1/receipts/\(oldID)/replace", key: world.accountantKey, json: body)
      #expect(replaced.status == .created, "\(String(decoding: replaced.bytes, as: UTF8.self))")
      // In the database: two receipts, the old one marked replaced and pointing at the new,
      // the new one referencing the old, the invoice pointing at the new, and an audit entry.
      let newID = try #require(replaced.json["id"]?.stringValue)
      let rows = try await world.database.query(
        "SELECT id, status, replaces, replaced_by, number FROM receipts WHERE invoice_id = \(invoice) ORDER BY number"
      ).map { try $0.decode((String, String, String?, String?, Int).self) }
      #expect(rows.count == 2)
      #expect(rows.first?.0 == oldID && rows.first?.1 == "replaced" && rows.first?.3 == newID)
      #expect(rows.last?.0 == newID && rows.last?.2 == oldID && rows.last?.4 == 2)
      #expect(
        try await world.scalar("SELECT count(*)::int FROM invoices WHERE id = \(invoice) AND receipt_id = \(newID)")
          == 1)
      #expect(
        try await world.scalar(
          "SELECT count(*)::int FROM audit_log WHERE action = 'receipt.replace' AND subject = ANY(\([oldID, newID]))")
          == 1)
      #expect(replaced.json["replaces"]?.stringValue == oldID)
      #expect(replaced.json["number"] == "0000002")
      #expect(replaced.json["payer"]?["name"] == "Nguyễn Văn Bình")
      let oldNow = try await client.send(.get, "/v1/receipts/\(oldID)", key: world.accountantKey).json
      #expect(oldNow["status"] == "replaced")
      #expect(oldNow["replaced_by"] == replaced.json["id"])
      let verdict = try await client.send(.post, "/v1/receipts/verify", json: ["jws": old["jws"] ?? .null]).json
      #expect(verdict["valid"] == false)
      #expect(verdict["reason"]?.stringValue?.hasPrefix("replaced") == true)
      let again = try await client.send(.post, "/v1/receipts/\(oldID)/replace", key: world.accountantKey, json: body)
      #expect(again.status == .conflict)
      // The database keeps receipts immutable.
      await #expect(throws: (any Error).self) {
        try await world.database.query("UPDATE receipts SET jws = 'x' WHERE id = \(oldID)")
      }

      let today = BusinessDate(containing: world.clock.now).description
      let usage = try await client.send(
        .get, "/v1/reports/receipt-usage?from=\(today)&to=\(today)&agency=\(world.agency)", key: world.auditorKey)
      let row = try #require(usage.json["data"]?[0])
      // Form BC26/BLĐT reads Circular 32/2025's symbols.
      #expect(row["template_symbol"] == "EBL01")
      #expect(
        row["series"]?.stringValue == String(format: "%02dT", BusinessDate(containing: world.clock.now).year % 100))
      #expect(row["first_number"] == "0000001")
      #expect(row["last_number"] == "0000002")
      #expect(row["issued"] == 2)
      #expect(row["replaced"] == 1)
      #expect(row["total_amount"] == 16000)
      #expect(
        try await client.send(.get, "/v1/reports/receipt-usage?from=x", key: world.auditorKey).status
          == .unprocessableContent)
    }
  }

  @Test(.enabled(if: ReferenceClientTests.available)) func joserfcVerifiesFromTheJWKSAloneAcrossARotation() async throws
  {
    try await withFeePay(isolated: true) { world, client in
      _ = try await world.paidInvoice(client)
      _ = try await world.receipts.issueBatch(now: world.clock.now)
      let first = try #require(
        try await world.database.query("SELECT jws FROM receipts WHERE agency_code = \(world.agency)").first?.decode(
          String.self))
      try await world.receipts.rotateKey(actor: "test", now: world.clock.now.addingTimeInterval(1))
      _ = try await world.paidInvoice(client)
      _ = try await world.receipts.issueBatch(now: world.clock.now.addingTimeInterval(2))
      let jwksFile = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json")
      defer { try? FileManager.default.removeItem(at: jwksFile) }
      try Data(try await client.send(.get, "/.well-known/jwks.json").bytes).write(to: jwksFile)
      let script = TestEnvironment.packageRoot.appendingPathComponent("scripts/verify_receipt.py").path
      let all = try await world.database.query(
        "SELECT jws FROM receipts WHERE agency_code = \(world.agency) ORDER BY number"
      )
      .map { try $0.decode(String.self) }
      #expect(all.count == 2)
      #expect(try JWS.parse(all[0]).kid != JWS.parse(all[1]).kid, "the second receipt is signed with the new key")
      for jws in all {
        let (status, output) = try runProgram(["python3", script, jwksFile.path, jws])
        #expect(status == 0, "\(output)")
      }
      var bytes = Array(first.utf8)
      let i = first.split(separator: ".")[0].count + 5
      bytes[i] = bytes[i] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
      let (status, _) = try runProgram(["python3", script, jwksFile.path, String(decoding: bytes, as: UTF8.self)])
      #expect(status == 1)
    }
  }

  /// zbarimg and rsvg-convert are there (or required: with FEEPAY_REQUIRE_REFERENCE_CLIENTS=1
  /// the QR tests run, and fail if a tool is missing, instead of being skipped).
  static var canDecodeQR: Bool {
    if ReferenceClientTests.required { return true }
    return ReferenceClientTests.available
      && ["/usr/bin/zbarimg", "/usr/bin/rsvg-convert"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
  }

  @Test(.enabled(if: canDecodeQR)) func theReceiptPageRendersAndItsQRDecodesToItsURL() async throws {
    try await withFeePay(isolated: true) { world, client in
      let invoice = try await world.paidInvoice(client)
      _ = try await world.receipts.issueBatch(now: world.clock.now)
      let receipt = try await client.send(.get, "/v1/invoices/\(invoice)/receipt", key: world.portalKey).json
      let lookup = try #require(receipt["lookup_code"]?.stringValue)
      let page = try await client.send(.get, "/receipts/\(lookup)")
      #expect(page.status == .ok)
      #expect(page.headers[.contentType] == "text/html; charset=utf-8")
      let html = String(decoding: page.bytes, as: UTF8.self)
      #expect(html.contains("BIÊN LAI THU PHÍ, LỆ PHÍ"))
      #expect(html.contains("0000001"))
      #expect(html.contains("Chữ ký số hợp lệ"))
      #expect(html.contains("Mười sáu nghìn đồng"))
      // Circular 32/2025/TT-BTC's symbols and sample 6's fields.
      #expect(html.contains("Ký hiệu mẫu: <strong>EBL01</strong>"))
      #expect(
        html.contains(
          String(format: "Ký hiệu: <strong>%02dT</strong>", BusinessDate(containing: world.clock.now).year % 100)))
      #expect(html.contains("141 Pasteur, phường Xuân Hòa, TP. Hồ Chí Minh"))
      #expect(html.contains("028 3829 0230"))
      #expect(html.contains("Vietcombank"))
      #expect(html.contains("Hình thức thanh toán"))
      #expect(html.contains("16.000\u{00A0}₫"))
      #expect(html.contains("Ký bởi"))
      // What FeePay does not know (here the payer's address) is left out, not printed empty.
      #expect(html.components(separatedBy: "Địa chỉ").count - 1 == 1)
      #expect(html.contains("<link rel=\"stylesheet\" href=\"/assets/feepay.css\">"))
      let css = String(decoding: try await client.send(.get, "/assets/feepay.css").bytes, as: UTF8.self)
      #expect(css.contains("@page{size:A4"))
      let english = String(decoding: try await client.send(.get, "/receipts/\(lookup)?lang=en").bytes, as: UTF8.self)
      #expect(english.contains("Valid digital signature"))
      #expect(try await client.send(.get, "/receipts/nosuchcode0000").status == .notFound)

      let start = try #require(html.range(of: "<svg"))
      let end = try #require(html.range(of: "</svg>"))
      let svg = String(html[start.lowerBound..<end.upperBound])
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: dir) }
      try svg.write(to: dir.appendingPathComponent("qr.svg"), atomically: true, encoding: .utf8)
      let (convert, _) = try runProgram([
        "rsvg-convert", "--width", "400", "--height", "400", "-o", dir.appendingPathComponent("qr.png").path,
        dir.appendingPathComponent("qr.svg").path,
      ])
      #expect(convert == 0)
      let (status, decoded) = try runProgram([
        "zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", dir.appendingPathComponent("qr.png").path,
      ])
      #expect(status == 0)
      #expect(decoded.trimmingCharacters(in: .whitespacesAndNewlines) == receipt["verify_url"]?.stringValue)
    }
  }

  @Test func theRunningServiceIssuesWithinSeconds() async throws {
    try await withFeePay(isolated: true, configure: { $0.receiptInterval = .milliseconds(100) }) { world, client in
      let invoice = try await world.paidInvoice(client)
      var status = HTTPResponse.Status.notFound
      for _ in 0..<50 where status != .ok {
        try await Task.sleep(for: .milliseconds(100))
        status = try await client.send(.get, "/v1/invoices/\(invoice)/receipt", key: world.portalKey).status
      }
      #expect(status == .ok)
    }
  }
}
