import FeePayCore
import FeePayStore
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing

/// The citizen pages in headless Chromium (Debian `chromium` and `chromium-driver`, Selenium
/// and axe-core from PyPI), against a real `feepay serve`: `Tests/Browser/citizen_pages.py`
/// says what it checks. Screenshots land in `.build/screenshots/` for a person to look at.
/// With `FEEPAY_REQUIRE_REFERENCE_CLIENTS=1` (CI) the test runs, and fails if a tool is
/// missing, instead of being skipped.
@Suite(.serialized, .timeLimit(.minutes(5))) struct BrowserTests {
  static var available: Bool {
    if ReferenceClientTests.required { return true }
    guard
      ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/zbarimg"].allSatisfy({
        FileManager.default.isExecutableFile(atPath: $0)
      })
    else { return false }
    let (status, _) =
      (try? runProgram([
        "python3", "-c",
        "import importlib.util, selenium, pyotp; assert importlib.util.find_spec('axe_playwright_python')",
      ])) ?? (1, "")
    return status == 0
  }

  static var screenshots: URL { TestEnvironment.packageRoot.appendingPathComponent(".build/screenshots") }

  static func path(of url: String?) throws -> String {
    let url = try #require(url)
    let start = try #require(url.range(of: "/pay/"))
    return String(url[start.lowerBound...])
  }

  @Test(.enabled(if: available)) func citizenPagesWorkInChromiumOnPhonesAndDesktops() async throws {
    try await withServedFeePay { world, served, _ in
      let bank = try await TestBank.hmac(world)
      let open = try await served.createInvoice(world.invoiceBody(), key: world.portalKey).json
      // A paid invoice with its receipt issued by the running service.
      let paid = try await served.createInvoice(world.invoiceBody(), key: world.portalKey).json
      let paidID = try #require(paid["id"]?.stringValue)
      let paidCode = try #require(paid["payment_code"]?.stringValue)
      #expect(try await served.pay(bank, code: paidCode, amount: 16000).json["status"] == "accepted")
      var receipt: JSONValue = .null
      for _ in 0..<40 where receipt == .null {
        try await Task.sleep(for: .milliseconds(500))
        let r = try await served.send(.GET, "/v1/invoices/\(paidID)/receipt", key: world.portalKey)
        if r.code == 200 { receipt = r.json }
      }
      let lookup = try #require(receipt["lookup_code"]?.stringValue, "the running service issued no receipt")
      // An invoice the browser watches while the bank pays it.
      let live = try await served.createInvoice(world.invoiceBody(), key: world.portalKey).json
      let liveCode = try #require(live["payment_code"]?.stringValue)
      let body = TestBank.body(paymentCode: liveCode, amount: 16000, txn: UUID().uuidString, paidAt: Date())
      let plan: JSONValue = [
        "base_url": .string(served.baseURL),
        "screenshots": .string(Self.screenshots.path),
        "open_page": .string(try Self.path(of: open["payment_url"]?.stringValue)),
        "open_vietqr": open["vietqr"] ?? .null,
        "open_facts": [
          "16.000\u{00A0}₫", .string(open["payment_code"]?.stringValue ?? "?"), "Vietcombank", "0071000123456",
          "SO TU PHAP TPHCM", "0301234567", "Nguyễn V. A.",
        ],
        "paid_page": .string(try Self.path(of: paid["payment_url"]?.stringValue)),
        "receipt_page": .string("/receipts/\(lookup)"),
        "receipt_facts": [
          "BIÊN LAI THU PHÍ, LỆ PHÍ", "EBL01",
          .string(String(format: "%02dT", BusinessDate(containing: Date()).year % 100)),
          "0000001", "141 Pasteur", "028 3829 0230", "Mười sáu nghìn đồng", "Chữ ký số hợp lệ", "Ký bởi",
        ],
        "live_page": .string(try Self.path(of: live["payment_url"]?.stringValue)),
        "live_callback": [
          "path": .string("/v1/callbacks/\(bank.code)"), "body": .string(String(decoding: body, as: UTF8.self)),
          "headers": .object(bank.headers(for: body, timestamp: Date()).mapValues(JSONValue.string)),
        ],
      ]
      let script = TestEnvironment.packageRoot.appendingPathComponent("Tests/Browser/citizen_pages.py")
      let (status, output) = try runProgram(
        ["sh", "-c", "python3 \"$0\" 2>&1", script.path], stdin: Array(plan.jsonText.utf8))
      #expect(status == 0, "\(output)")
    }
  }

  static var consoleScreenshots: URL {
    TestEnvironment.packageRoot.appendingPathComponent(".build/console-screenshots")
  }

  /// An accountant's whole day in Chromium against a real `feepay serve` (with a database of
  /// its own, since the day is closed): people added with `feepay staff add`, enrolled from
  /// their links with an authenticator (pyotp), signed in; a statement uploaded through the
  /// form raises one exception of each statement category, each proposed on its page by one
  /// accountant and approved by a second where four eyes require it; the
  /// day closed and its remittance downloaded; signing out ends the session.
  /// `Tests/Browser/console.py` says what it checks on each page.
  @Test(.enabled(if: available)) func consoleInChromium() async throws {
    try await withServedFeePay(environment: ["FEEPAY_CONSOLE_BCRYPT_COST": "10"]) { world, served, _ in
      let bank = try await TestBank.hmac(world)
      let day = BusinessDate(containing: Date())
      var csv = StatementCSV()
      var invoices: [String: (id: String, code: String, total: Int64)] = [:]
      for name in ["matched", "short", "unsettled", "differs", "open"] {
        invoices[name] = try await served.invoice(world)
      }
      func pay(_ name: String, _ amount: Int64) async throws {
        let i = invoices[name]!
        let r = try await served.pay(bank, code: i.code, amount: amount, txn: "TXN.\(name)")
        #expect(r.code == 200, "\(r.json)")
      }
      // Paid and on the statement; paid too little (an exception from the callback); paid but
      // missing from the statement; paid but the statement's amount differs; and money on the
      // statement FeePay never heard of, which pays the open invoice.
      try await pay("matched", invoices["matched"]!.total)
      try await pay("short", invoices["short"]!.total - 1000)
      try await pay("unsettled", invoices["unsettled"]!.total)
      try await pay("differs", invoices["differs"]!.total)
      csv.add("TXN.matched", code: invoices["matched"]!.code, amount: invoices["matched"]!.total, at: Date())
      csv.add("TXN.short", code: invoices["short"]!.code, amount: invoices["short"]!.total - 1000, at: Date())
      csv.add("TXN.differs", code: invoices["differs"]!.code, amount: invoices["differs"]!.total + 500, at: Date())
      csv.add("TXN.unknown", amount: invoices["open"]!.total, at: Date(), memo: "nop le phi ho so")
      try FileManager.default.createDirectory(at: Self.consoleScreenshots, withIntermediateDirectories: true)
      let statement = Self.consoleScreenshots.appendingPathComponent("sao-ke-\(bank.code)-\(day).csv")
      try Data(csv.bytes).write(to: statement)
      // People, added the way an operator adds them.
      var people: [JSONValue] = []
      // Two accountants: what one proposes, the other approves (four eyes).
      for (person, role) in [("accountant", "accountant"), ("auditor", "auditor"), ("approver", "accountant")] {
        let email = "\(person).\(UInt32.random(in: 0...UInt32.max))@stp.hochiminhcity.gov.vn"
        let added = try CommandLineTests.run(
          ["staff", "add", "--email", email, "--name", "Nguyễn Thị Thu", "--role", role],
          environment: [
            "DATABASE_URL": served.databaseURL, "FEEPAY_MASTER_KEY": served.masterKey,
            "FEEPAY_PUBLIC_URL": served.baseURL,
          ])
        #expect(added.status == 0, "\(added.stderr)")
        let link = try #require(added.stdout.split(separator: "\n").first { $0.contains("/console/enrol/") })
        #expect(link.hasPrefix(served.baseURL))
        people.append(["role": .string(person), "email": .string(email), "link": .string(String(link))])
      }
      // The matched payment's receipt, issued by the served process's worker (every second).
      var lookup: String?
      for _ in 0..<100 where lookup == nil {
        lookup = try await world.database.query(
          "SELECT lookup_code FROM receipts WHERE invoice_id = \(invoices["matched"]!.id) AND status = 'issued'"
        ).first?.decode(String.self)
        if lookup == nil { try await Task.sleep(for: .milliseconds(200)) }
      }
      let plan: JSONValue = [
        "base_url": .string(served.baseURL), "screenshots": .string(Self.consoleScreenshots.path),
        "receipt_lookup": .string(try #require(lookup, "no receipt was issued")),
        "people": .array(people), "statement": .string(statement.path), "connector": .string(bank.code),
        "day": .string(day.description), "open_code": .string(invoices["open"]!.code),
        "expected_kinds": ["amount_mismatch", "missing_in_bank", "amount_mismatch_in_statement", "missing_in_feepay"],
      ]
      let script = TestEnvironment.packageRoot.appendingPathComponent("Tests/Browser/console.py")
      let (status, output) = try runProgram(
        ["sh", "-c", "python3 \"$0\" 2>&1", script.path], stdin: Array(plan.jsonText.utf8))
      #expect(status == 0, "\(output)")
      // The remittance the browser downloaded: every fee collected that day, as the ledger
      // and the invoices (counted here, independently of the console) say.
      let downloaded = try String(
        contentsOf: Self.consoleScreenshots.appendingPathComponent("remittance-\(day).csv"), encoding: .utf8)
      let total = try #require(downloaded.split(separator: "\r\n").last { $0.contains(",TOTAL,") })
      let paid = ["matched", "unsettled", "differs", "open"].reduce(Int64(0)) { $0 + invoices[$1]!.total }
      #expect(total == "\(day),TOTAL,,\(paid)")
      let movement = try await world.scalar(
        """
        SELECT coalesce(sum(p.credit - p.debit), 0)::int FROM ledger_postings p
        JOIN ledger_journals j ON j.id = p.journal_id
        WHERE p.account_code LIKE 'fees_payable:%' AND j.business_date = \(day.description)::date
        """)
      #expect(total == "\(day),TOTAL,,\(movement)", "the remittance is the day's fees_payable movement")
      let open = try await world.scalar(
        "SELECT count(*)::int FROM payment_exceptions WHERE business_date = \(day.description)::date AND status = 'open'"
      )
      #expect(open == 0)
      // The receipt the browser replaced: one replacement, with the corrected name, audited.
      let receipts = try await world.database.query(
        "SELECT status, content->'payer'->>'name' FROM receipts WHERE invoice_id = \(invoices["matched"]!.id) ORDER BY id"
      ).map { try $0.decode((String, String).self) }
      #expect(receipts.map(\.0) == ["replaced", "issued"], "\(receipts)")
      #expect(receipts.last?.1 == "Nguyễn Thị Thu Hà")
    }
  }
}
