import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing

/// The console over real HTTP against the real database: enrolment, sign-in with a
/// password and a TOTP code, sessions, CSRF, roles and agencies. The whole day in a browser
/// is `BrowserTests.consoleInChromium`.
@Suite(.timeLimit(.minutes(5))) struct ConsoleTests {
  /// Tests keep bcrypt cheap (its cost is a setting); production uses 12.
  static func fast(_ c: inout AppConfiguration) { c.bcryptCost = 4 }

  func audited(_ world: TestWorld, _ action: String, _ email: String) async throws -> Int {
    try await world.scalar(
      "SELECT count(*)::int FROM audit_log WHERE action = \(action) AND subject = \("staff:\(email)")")
  }

  @Test func enrolmentSetsAPasswordAndAnAuthenticatorOnce() async throws {
    try await withFeePay(configure: Self.fast) { world, client in
      let (member, enrolment) = try await ConsoleAgent.Person.added(world, role: .accountant)
      let agent = ConsoleAgent(client)
      let page = try await agent.get("/console/enrol/\(enrolment.token)")
      #expect(page.status == .ok)
      #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
      #expect(page.text.contains("<svg"), "the otpauth QR code")
      #expect(page.text.contains(member.email))
      let code = totp(secret: enrolment.totpSecret, at: world.clock.now)
      func enrol(_ password: String, again: String? = nil, code: String) async throws -> TestResponse {
        try await agent.post(
          "/console/enrol/\(enrolment.token)",
          ["password": password, "password_again": again ?? password, "code": code], csrf: false)
      }
      // Each refusal is specific and changes nothing.
      for (password, expected) in [
        ("short pass", "ít nhất 12"), ("password123456", "quá phổ biến"), ("qwertyuiop12", "quá phổ biến"),
        ("aaaaaaaaaaaaaa", "lặp lại"), ("\(member.email.split(separator: "@")[0]) is me", "tên hoặc email"),
      ] {
        let r = try await enrol(password, code: code)
        #expect(r.status == .unprocessableContent, "\(password)")
        #expect(r.text.contains(expected), "\(password): \(r.text.prefix(0))")
      }
      #expect(
        try await enrol("correct horse battery 1", again: "correct horse battery 2", code: code).status
          == .unprocessableContent)
      let wrongCode = code == "000000" ? "111111" : "000000"
      let wrong = try await enrol("correct horse battery staple", code: wrongCode)
      #expect(wrong.text.contains("Mã xác thực không đúng"))
      #expect(
        try await StaffStore(database: world.database, ids: IDGenerator(clock: world.clock), secrets: world.secrets)
          .member(id: member.id)?.status == .enrolling)
      let done = try await enrol("correct horse battery staple", code: code)
      #expect(done.status == .seeOther)
      #expect(done.headers[.location] == "/console/sign-in?enrolled=1")
      // The link works once.
      #expect(try await agent.get("/console/enrol/\(enrolment.token)").status == .gone)
      #expect(try await enrol("another good passphrase", code: code).status == .gone)
      #expect(try await audited(world, "staff.enrol", member.email) == 1)
    }
  }

  @Test func anEnrolmentLinkExpiresAfter24Hours() async throws {
    try await withFeePay(configure: Self.fast) { world, client in
      let (_, enrolment) = try await ConsoleAgent.Person.added(world, role: .auditor)
      world.clock.advance(by: 24 * 3600 + 1)
      let r = try await ConsoleAgent(client).get("/console/enrol/\(enrolment.token)")
      #expect(r.status == .gone)
      #expect(r.text.contains("24 giờ"))
    }
  }

  @Test func signInNeedsThePasswordAndAFreshCodeAndRotatesTheSession() async throws {
    try await withFeePay(configure: Self.fast) { world, client in
      let person = try await ConsoleAgent.Person.enrolled(
        world, client, role: .accountant, password: "correct horse battery staple")
      let agent = ConsoleAgent(client)
      // Not signed in: the console sends the browser to the sign-in page.
      let before = try await agent.get("/console/exceptions")
      #expect(before.status == .seeOther)
      #expect(before.headers[.location]?.hasPrefix("/console/sign-in?next=") == true)
      world.clock.advance(by: 30)
      let now = world.clock.now
      let wrong = try await agent.signIn(person, password: "correct horse battery stapler", at: now)
      #expect(wrong.status == .unauthorized)
      #expect(wrong.text.contains("không đúng"))
      let ok = try await agent.signIn(person, at: now)
      #expect(ok.status == .seeOther)
      let cookie = try #require(ok.headers[values: .setCookie].first { $0.hasPrefix("__Host-feepay_session=") })
      for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        #expect(cookie.contains(attribute), "\(cookie)")
      }
      let first = try #require(agent.cookie)
      let today = try await agent.get("/console")
      #expect(today.status == .ok)
      #expect(today.text.contains("Hôm nay"))
      #expect(today.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
      #expect(today.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
      // The same code again (another browser, same 30 s) is refused: a code works once.
      let other = ConsoleAgent(client)
      #expect(try await other.signIn(person, at: now).status == .unauthorized)
      // A new sign-in gives a new session id.
      world.clock.advance(by: 30)
      #expect(try await agent.signIn(person, at: world.clock.now).status == .seeOther)
      #expect(agent.cookie != first)
      // Sign out ends the session: the old cookie opens nothing.
      #expect(try await agent.post("/console/sign-out", [:]).status == .seeOther)
      #expect(try await agent.get("/console").status == .seeOther)
      #expect(try await audited(world, "staff.sign_in", person.email) == 2)
      #expect(try await audited(world, "staff.sign_out", person.email) == 1)
    }
  }

  @Test func oneCodeSignsInOnceUnderConcurrency() async throws {
    try await withFeePay(configure: Self.fast) { world, client in
      let person = try await ConsoleAgent.Person.enrolled(
        world, client, role: .auditor, password: "correct horse battery staple")
      world.clock.advance(by: 30)
      let now = world.clock.now
      let statuses = try await burst(12) { _ in try await ConsoleAgent(client).signIn(person, at: now).status }
      #expect(statuses.results.filter { $0 == .seeOther }.count == 1)
      #expect(statuses.results.filter { $0 == .unauthorized }.count == 11)
      #expect(try await audited(world, "staff.sign_in", person.email) == 1)
    }
  }

  @Test func fiveFailuresLockTheAccountFor15Minutes() async throws {
    try await withFeePay(configure: Self.fast) { world, client in
      let person = try await ConsoleAgent.Person.enrolled(
        world, client, role: .accountant, password: "correct horse battery staple")
      let agent = ConsoleAgent(client)
      for i in 1...5 {
        world.clock.advance(by: 1)
        let r = try await agent.signIn(person, password: "wrong password number \(i)", at: world.clock.now)
        #expect(r.status == .unauthorized)
        if i == 5 { #expect(r.text.contains("bị khóa")) }
      }
      // Locked: even the right password and code are refused, and the code is not spent.
      world.clock.advance(by: 60)
      let locked = try await agent.signIn(person, at: world.clock.now)
      #expect(locked.status == .unauthorized)
      #expect(locked.text.contains("bị khóa"))
      #expect(try await audited(world, "staff.lock", person.email) == 1)
      #expect(try await audited(world, "staff.sign_in_failed", person.email) == 5)
      world.clock.advance(by: 15 * 60)
      #expect(try await agent.signIn(person, at: world.clock.now).status == .seeOther)
    }
  }

  @Test func sessionsEndWhenIdleAfter8HoursAndWhenThePersonIsDisabled() async throws {
    try await withFeePay(isolated: true, configure: Self.fast) { world, client in
      let (agent, person) = try await ConsoleAgent.signedIn(world, client, role: .accountant)
      world.clock.advance(by: 30)
      // 14 idle minutes keep the session (each page gives it 15 more) …
      for _ in 0..<3 {
        world.clock.advance(by: 14 * 60)
        #expect(try await agent.get("/console").status == .ok)
      }
      // … 16 end it.
      world.clock.advance(by: 16 * 60)
      #expect(try await agent.get("/console").status == .seeOther)
      // Always active, a session still ends 8 hours after sign-in.
      world.clock.advance(by: 60)
      #expect(try await agent.signIn(person, at: world.clock.now).status == .seeOther)
      for _ in 0..<34 {
        world.clock.advance(by: 14 * 60)
        _ = try await agent.get("/console/days")
      }
      world.clock.advance(by: 14 * 60)
      #expect(try await agent.get("/console").status == .seeOther, "8 h 10 min after sign-in")
      // Disabling a person ends their live session at once.
      world.clock.advance(by: 60)
      #expect(try await agent.signIn(person, at: world.clock.now).status == .seeOther)
      let token = try #require(try await agent.csrf())
      let store = StaffStore(database: world.database, ids: IDGenerator(clock: world.clock), secrets: world.secrets)
      try await store.disable(email: person.email, actor: "test", now: world.clock.now)
      #expect(try await agent.get("/console").status == .seeOther)
      #expect(try await agent.post("/console/sign-out", ["csrf": token]).status == .forbidden)
      world.clock.advance(by: 30)
      #expect(try await agent.signIn(person, at: world.clock.now).status == .unauthorized)
    }
  }

  /// An exception of the world's agency, raised by a callback paying too little.
  func exception(_ world: TestWorld, _ client: any TestClientProtocol) async throws -> String {
    let bank = try await TestBank.hmac(world)
    let (_, code, total) = try await world.invoice(client)
    let r = try await bank.pay(client, paymentCode: code, amount: total - 1000)
    return try #require(r.json["exception_id"]?.stringValue, "\(r.text)")
  }

  func status(_ world: TestWorld, _ id: String) async throws -> String {
    try await world.database.query("SELECT status FROM payment_exceptions WHERE id = \(id)").first?.decode(
      String.self) ?? "?"
  }

  @Test func formsWithoutTheSessionsTokenChangeNothing() async throws {
    try await withFeePay(configure: Self.fast) { world, client in
      let id = try await exception(world, client)
      let (agent, _) = try await ConsoleAgent.signedIn(world, client, role: .accountant)
      let (other, _) = try await ConsoleAgent.signedIn(world, client, role: .accountant)
      let page = try await agent.get("/console/exceptions/\(id)")
      #expect(page.status == .ok)
      #expect(page.text.contains("Hoàn tiền cho người nộp"))
      let form = ["action": "refund", "note": "Hoàn lại cho người nộp"]
      let missing = try await agent.post("/console/exceptions/\(id)/resolve", form, csrf: false)
      #expect(missing.status == .forbidden)
      let foreign = try await agent.post(
        "/console/exceptions/\(id)/resolve", form.merging(["csrf": try #require(try await other.csrf())]) { $1 })
      #expect(foreign.status == .forbidden)
      let crossSite = try await agent.send(
        .post, "/console/exceptions/\(id)/resolve",
        body: Array("csrf=\(try #require(try await agent.csrf()))&action=refund&note=x".utf8),
        type: "application/x-www-form-urlencoded", extra: ["Sec-Fetch-Site": "cross-site"])
      #expect(crossSite.status == .forbidden)
      #expect(try await status(world, id) == "open")
      // With its own token the form works: a refund is only proposed (four eyes).
      let done = try await agent.post("/console/exceptions/\(id)/resolve", form)
      #expect(done.status == .seeOther)
      #expect(try await status(world, id) == "open")
      let own = try await agent.get("/console/exceptions/\(id)?proposed=1")
      #expect(own.text.contains("Đã gửi đề xuất"))
      #expect(own.text.contains("id=\"proposed-by\""))
      #expect(!own.text.contains("/approve"), "the proposer gets no approve button")
      #expect(own.text.contains("/withdraw"))
      let selfApproved = try await agent.post("/console/exceptions/\(id)/approve", [:])
      #expect(selfApproved.status == .conflict)
      #expect(selfApproved.text.contains("Người đề xuất không thể tự phê duyệt"))
      // The second accountant's approval needs their own token too, then takes effect once.
      #expect(try await other.post("/console/exceptions/\(id)/approve", [:], csrf: false).status == .forbidden)
      #expect(try await other.post("/console/exceptions/\(id)/withdraw", [:], csrf: false).status == .forbidden)
      #expect(try await status(world, id) == "open")
      #expect(try await other.get("/console/exceptions/\(id)").text.contains("/approve"))
      let approved = try await other.post("/console/exceptions/\(id)/approve", [:])
      #expect(approved.status == .seeOther)
      #expect(try await status(world, id) == "resolved")
      let page2 = try await agent.get("/console/exceptions/\(id)?resolved=1")
      #expect(page2.text.contains("id=\"approved-by\""), "\(page2.text)")
      let audit = try await world.database.query(
        "SELECT action, actor FROM audit_log WHERE action LIKE 'exception.%' AND subject = \(id) ORDER BY id"
      ).map { try $0.decode((String, String).self) }
      #expect(audit.map(\.0) == ["exception.propose", "exception.approve"])
      #expect(audit.allSatisfy { $0.1.hasPrefix("staff:accountant-") })
      #expect(audit.count == 2 && audit[0].1 != audit[1].1, "two different people")
    }
  }

  @Test func rolesAndAgenciesLimitWhatEachPersonSeesAndDoes() async throws {
    try await withFeePay(configure: Self.fast) { world, client in
      let id = try await exception(world, client)
      let (auditor, _) = try await ConsoleAgent.signedIn(world, client, role: .auditor)
      let page = try await auditor.get("/console/exceptions/\(id)")
      #expect(page.status == .ok)
      #expect(!page.text.contains("/resolve"), "an auditor gets no form")
      #expect(try await auditor.get("/console/audit").status == .ok)
      #expect(try await auditor.get("/console/admin").status == .forbidden)
      let posted = try await auditor.post("/console/exceptions/\(id)/resolve", ["action": "refund", "note": "x"])
      #expect(posted.status == .forbidden)
      // An accountant of the other agency does not see this agency's exception.
      let (elsewhere, _) = try await ConsoleAgent.signedIn(
        world, client, role: .accountant, agencies: [world.otherAgency])
      #expect(try await elsewhere.get("/console/exceptions/\(id)").status == .notFound)
      let list = try await elsewhere.get("/console/exceptions")
      #expect(!list.text.contains(id))
      #expect(
        try await elsewhere.post("/console/exceptions/\(id)/resolve", ["action": "refund", "note": "x"]).status
          == .notFound)
      #expect(try await elsewhere.get("/console/audit").status == .forbidden)
      #expect(try await status(world, id) == "open")
      let (admin, _) = try await ConsoleAgent.signedIn(world, client, role: .admin)
      let adminPage = try await admin.get("/console/admin")
      #expect(adminPage.status == .ok)
      #expect(adminPage.text.contains("feepay key"), "rotation stays on the command line, and the page says so")
    }
  }

  @Test func aStatementUploadedThroughTheFormIsReconciled() async throws {
    try await withFeePay(configure: Self.fast) { world, client in
      let bank = try await TestBank.hmac(world)
      let (_, code, total) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: code, amount: total, txn: "FORM.1")
      let (agent, _) = try await ConsoleAgent.signedIn(world, client, role: .accountant)
      let token = try #require(try await agent.csrf())
      var csv = StatementCSV()
      csv.add("FORM.1", code: code, amount: total, at: world.clock.now)
      csv.add("FORM.2", amount: 42_000, at: world.clock.now, memo: "khong ro")
      let day = BusinessDate(containing: world.clock.now)
      let (bytes, type) = ConsoleAgent.multipart(connector: bank.code, day: day, file: csv.bytes)
      // Without the token in the form's action nothing is imported.
      #expect(try await agent.send(.post, "/console/statements", body: bytes, type: type).status == .forbidden)
      let r = try await agent.send(.post, "/console/statements?csrf=\(token)", body: bytes, type: type)
      #expect(r.status == .seeOther, "\(r.text.prefix(500))")
      let location = try #require(r.headers[.location])
      let summary = try await agent.get(location)
      #expect(summary.status == .ok)
      #expect(summary.text.contains("Khớp"))
      #expect(summary.text.contains("Thiếu ở FeePay"))
      // The same file again is refused, with the reason on the page.
      let again = try await agent.send(.post, "/console/statements?csrf=\(token)", body: bytes, type: type)
      #expect(again.status == .conflict)
      #expect(again.text.contains("already imported"))
      // A file that is not a statement shows why.
      let (bad, _) = ConsoleAgent.multipart(
        connector: bank.code, day: day, file: Array("not,a,statement\n1,2,3\n".utf8),
        boundary: String(type.dropFirst(30)))
      let refused = try await agent.send(.post, "/console/statements?csrf=\(token)", body: bad, type: type)
      #expect(refused.status == .unprocessableContent)
      #expect(refused.text.contains("Tệp bị từ chối"))
    }
  }

  @Test func todaysOverviewCountsEachPartInOneQuery() async throws {
    // The overview reads every row of its days: this test has a database of its own.
    try await withFeePay(isolated: true, configure: Self.fast) { world, client in
      let bank = try await TestBank.hmac(world)
      // Yesterday: a payment whose statement never came, so the day stays open.
      let (_, early, earlyTotal) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: early, amount: earlyTotal, txn: "OV.1")
      world.clock.advance(by: 86_400)
      // Today: two payments and one that pays too little (an open exception).
      for n in 2...3 {
        let (_, code, total) = try await world.invoice(client)
        try await bank.pay(client, paymentCode: code, amount: total, txn: "OV.\(n)")
      }
      _ = try await exception(world, client)
      let today = BusinessDate(containing: world.clock.now)
      let yesterday = BusinessDate(containing: world.clock.now.addingTimeInterval(-86_400))
      let o = try await OverviewStore(database: world.database).overview(
        today: today, now: world.clock.now, agencies: [])
      #expect(o.collections.map(\.agency) == [world.agency])
      #expect(o.collections.first?.count == 2)
      #expect(o.collections.first?.amount == 2 * earlyTotal)
      #expect(o.missingStatements.map(\.day) == [yesterday])
      #expect(o.missingStatements.map(\.connector) == [bank.code])
      #expect(o.openExceptions.map(\.kind) == [.amountMismatch])
      #expect(o.openExceptions.first?.underADay == 1)
      #expect(o.unclosedDays == [yesterday])
      #expect(o.days.count == 30)
      #expect(o.days.last?.day == today && o.days.last?.payments == 2 && o.days.last?.exceptions == 1)
      #expect(o.days.dropLast().last?.collected == earlyTotal)
      // Another agency's overview has none of it.
      let theirs = try await OverviewStore(database: world.database).overview(
        today: today, now: world.clock.now, agencies: [world.otherAgency])
      #expect(theirs.collections.isEmpty && theirs.openExceptions.isEmpty)
      #expect(theirs.days.allSatisfy { $0.payments == 0 && $0.exceptions == 0 })
    }
  }

  @Test func theScriptedUploadReportsEachStageAsTheServerReachesIt() async throws {
    try await withFeePay(configure: {
      Self.fast(&$0); $0.maxStatementBytes = 4096
    }) { world, client in
      let bank = try await TestBank.hmac(world)
      let (_, code, total) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: code, amount: total, txn: "JS.1")
      let (agent, _) = try await ConsoleAgent.signedIn(world, client, role: .accountant)
      let token = try #require(try await agent.csrf())
      let day = BusinessDate(containing: world.clock.now)
      let query = "/console/statements?connector=\(bank.code)&business_date=\(day)&format=csv"
      func send(_ body: [UInt8], token: String) async throws -> (TestResponse, [JSONValue]) {
        let r = try await agent.send(
          .post, query, body: body, type: "application/octet-stream", extra: ["X-CSRF-Token": token])
        return (r, r.text.split(separator: "\n").compactMap { try? JSONValue.parse(Array($0.utf8)) })
      }
      var csv = StatementCSV()
      csv.add("JS.1", code: code, amount: total, at: world.clock.now)
      csv.add("JS.2", amount: 42_000, at: world.clock.now, memo: "khong ro")
      let (r, events) = try await send(csv.bytes, token: token)
      #expect(r.status == .ok)
      #expect(r.headers[.contentType]?.hasPrefix("application/x-ndjson") == true)
      #expect(events.map { $0["stage"]?.stringValue ?? "error" } == ["parse", "match", "done"], "\(r.text)")
      #expect(events.first?["percent"]?.intValue == 100)
      #expect(events.dropFirst().first?["lines"]?.intValue == 2)
      let location = try #require(events.last?["location"]?.stringValue)
      #expect(try await agent.get(location).text.contains("Thiếu ở FeePay"))
      // A file that is not a statement: the stream ends with the reason, and nothing is imported.
      let before = try await world.scalar("SELECT count(*)::int FROM settlements WHERE connector_code = \(bank.code)")
      let (_, refused) = try await send(Array("not,a,statement\n1,2,3\n".utf8), token: token)
      #expect(refused.last?["error"]?.stringValue?.contains("Tệp bị từ chối") == true, "\(refused)")
      // Too large: refused before anything is read, with its own status.
      let (big, tooLarge) = try await send(Array(repeating: UInt8(ascii: "x"), count: 80 * 1024), token: token)
      #expect(big.status == .contentTooLarge)
      #expect(tooLarge.last?["error"]?.stringValue == "Tệp quá lớn.")
      // Another session's token is refused before the body is read.
      let (other, _) = try await ConsoleAgent.signedIn(world, client, role: .accountant)
      let (forged, _) = try await send(csv.bytes, token: try #require(try await other.csrf()))
      #expect(forged.status == .forbidden)
      #expect(
        try await world.scalar("SELECT count(*)::int FROM settlements WHERE connector_code = \(bank.code)") == before)
    }
  }

  /// An accountant's whole day through the pages: a statement with a line FeePay never
  /// heard of, the exception it raises applied to the invoice it pays, the day refused while
  /// that is open and closed once it is not, and the remittance file whose total is every
  /// fee collected that day. Every page of the console answers for each role on the way.
  @Test func aDayIsReconciledAndClosedThroughThePages() async throws {
    // Closing a day closes it for everyone: this test has a database of its own.
    try await withFeePay(isolated: true, configure: Self.fast) { world, client in
      let bank = try await TestBank.hmac(world)
      let (_, paidCode, paidTotal) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: paidCode, amount: paidTotal, txn: "DAY.1")
      let (openID, openCode, openTotal) = try await world.invoice(client)
      let (accountant, _) = try await ConsoleAgent.signedIn(world, client, role: .accountant)
      let (auditor, _) = try await ConsoleAgent.signedIn(world, client, role: .auditor)
      let (admin, _) = try await ConsoleAgent.signedIn(world, client, role: .admin)
      let day = BusinessDate(containing: world.clock.now)
      var csv = StatementCSV()
      csv.add("DAY.1", code: paidCode, amount: paidTotal, at: world.clock.now)
      csv.add("DAY.2", amount: openTotal, at: world.clock.now, memo: "nop tien ho so")
      let (bytes, type) = ConsoleAgent.multipart(connector: bank.code, day: day, file: csv.bytes)
      let token = try #require(try await accountant.csrf())
      let uploaded = try await accountant.send(.post, "/console/statements?csrf=\(token)", body: bytes, type: type)
      #expect(uploaded.status == .seeOther)
      let statement = try #require(uploaded.headers[.location])
      // The day cannot close while the unknown money is open; the page says why.
      let early = try await accountant.post("/console/days/\(day)/close", [:])
      #expect(early.status == .conflict)
      #expect(early.text.contains("open exception"))
      let exceptionID = try #require(
        try await world.database.query(
          "SELECT id FROM payment_exceptions WHERE bank_txn_id = 'DAY.2' AND kind = 'missing_in_feepay'"
        ).first?.decode(String.self))
      // Every page answers, for each role, in Vietnamese.
      let pages = [
        "/console", "/console/today.json", "/console/exceptions", "/console/exceptions?status=open&date=\(day)",
        "/console/exceptions/\(exceptionID)", "/console/exceptions/\(exceptionID)?search=\(openCode)",
        "/console/days", "/console/days/\(day)", "/console/statements", statement,
        "\(statement)?category=missing_in_feepay", "\(statement)/report.csv",
      ]
      for agent in [accountant, auditor, admin] {
        for path in pages {
          let r = try await agent.get(path)
          #expect(r.status == .ok, "\(path): \(r.status) \(r.text.prefix(300))")
        }
      }
      for path in ["/console/audit", "/console/audit?action=statement.import"] {
        #expect(try await auditor.get(path).status == .ok)
        #expect(try await admin.get(path).status == .ok)
        #expect(try await accountant.get(path).status == .forbidden)
      }
      #expect(try await admin.get("/console/admin").status == .ok)
      // The search finds the open invoice the money pays; applying it pays the invoice.
      let found = try await accountant.get("/console/exceptions/\(exceptionID)?search=\(openCode)")
      #expect(found.text.contains(openID))
      let applied = try await accountant.post(
        "/console/exceptions/\(exceptionID)/resolve",
        ["action": "apply_to_invoice", "invoice_id": openID, "note": "Người nộp ghi thiếu mã thanh toán"])
      #expect(applied.status == .seeOther, "\(applied.text.prefix(400))")
      #expect(applied.headers[.location]?.hasSuffix("proposed=1") == true)
      #expect(try await status(world, exceptionID) == "open", "a second accountant must approve")
      let (approver, _) = try await ConsoleAgent.signedIn(world, client, role: .accountant)
      let approved = try await approver.post("/console/exceptions/\(exceptionID)/approve", [:])
      #expect(approved.status == .seeOther, "\(approved.text.prefix(400))")
      #expect(try await status(world, exceptionID) == "resolved")
      let invoice = try await world.database.query("SELECT status FROM invoices WHERE id = \(openID)")
      #expect(try invoice.first?.decode(String.self) == "paid")
      // Now the day closes, once; the remittance's total is every fee collected that day.
      #expect(try await accountant.post("/console/days/\(day)/close", [:]).status == .seeOther)
      let again = try await accountant.post("/console/days/\(day)/close", [:])
      #expect(again.status == .conflict)
      let closed = try await auditor.get("/console/days/\(day)")
      #expect(closed.text.contains("remittance.csv"))
      let remittance = try await auditor.get("/console/days/\(day)/remittance.csv")
      #expect(remittance.status == .ok)
      #expect(remittance.headers[.contentType]?.hasPrefix("text/csv") == true)
      let total = try #require(remittance.text.split(separator: "\r\n").last { $0.contains(",TOTAL,") })
      #expect(total == "\(day),TOTAL,,\(paidTotal + openTotal)")
      let audited = try await auditor.get("/console/audit?action=business_day.close")
      #expect(audited.text.contains("staff:accountant-"))
    }
  }

  /// The last `TOTAL` line's amount of a report CSV.
  func csvTotal(_ r: TestResponse) -> String? {
    r.text.split(separator: "\r\n").last { $0.hasPrefix("TOTAL,") }.flatMap { $0.split(separator: ",").last }
      .map(String.init)
  }

  @Test func reportsCoverAPeriodAndAgencyAndMatchTheirCSV() async throws {
    // Reports sum a period over every row: this test has a database of its own.
    try await withFeePay(isolated: true, configure: Self.fast) { world, client in
      let bank = try await TestBank.hmac(world)
      let (_, code, total) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: code, amount: total, txn: "REP.1")
      #expect(try await world.receipts.issueBatch(now: world.clock.now) == 1)
      let day = BusinessDate(containing: world.clock.now)
      let (accountant, _) = try await ConsoleAgent.signedIn(world, client, role: .accountant)
      let (elsewhere, _) = try await ConsoleAgent.signedIn(
        world, client, role: .accountant, agencies: [world.otherAgency])
      for report in ["remittance", "usage", "collections"] {
        let query = "report=\(report)&from=\(day)&to=\(day)"
        let page = try await accountant.get("/console/reports?\(query)")
        #expect(page.status == .ok, "\(report): \(page.text.prefix(300))")
        #expect(page.text.contains(world.agency))
        #expect(page.text.contains(CitizenFormat.money(total)), "\(report)")
        let csv = try await accountant.get("/console/reports.csv?\(query)")
        #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
        #expect(csvTotal(csv) == String(total), "\(report): \(csv.text)")
        // Another agency's accountant sees none of it.
        let theirs = try await elsewhere.get("/console/reports.csv?\(query)")
        #expect(!theirs.text.contains(world.agency))
        #expect(csvTotal(theirs) == "0")
      }
      let remittance = try await accountant.get("/console/reports.csv?report=remittance&from=\(day)&to=\(day)")
      #expect(remittance.text.contains("\(day),\(world.agency),LPHT-01,\(total),false"), "the day is not closed yet")
      #expect(try await accountant.get("/console/reports").text.contains("report-heading"), "this month by default")
      // A period that is not one is refused with the reason, and nothing is read.
      for bad in ["from=\(day)&to=2020-01-01", "from=yesterday", "from=2020-01-01&to=2021-06-01", "to=2026-02-30"] {
        let r = try await accountant.get("/console/reports?report=usage&\(bad)")
        #expect(r.status == .unprocessableContent, "\(bad)")
        #expect(r.text.contains("366"), "\(bad)")
        #expect(try await accountant.get("/console/reports.csv?report=usage&\(bad)").status == .unprocessableContent)
      }
      #expect(try await accountant.get("/console/reports.csv?report=everything").status == .unprocessableContent)
    }
  }

  @Test func receiptsAreFoundVerifiedAndReplacedOnceThroughThePages() async throws {
    try await withFeePay(configure: Self.fast) { world, client in
      let bank = try await TestBank.hmac(world)
      let dossier = "000.00.12.H29-\(UUID().uuidString.prefix(8))"
      let created = try await client.createInvoice(
        world.invoiceBody(dossier: dossier) { $0["payer"] = ["name": .string("Đặng Thị Bích \(world.agency)")] },
        key: world.portalKey)
      let invoice = try #require(created.json["id"]?.stringValue)
      let code = try #require(created.json["payment_code"]?.stringValue)
      let total = try #require(created.json["total_amount"]?.intValue)
      try await bank.pay(client, paymentCode: code, amount: total)
      _ = try await world.receipts.issueBatch(now: world.clock.now)
      let receipt = try #require(try await world.receipts.receipt(invoiceID: invoice, portal: nil))
      let number = try #require(receipt.content["number"]?.stringValue)
      let lookup = try #require(receipt.content["lookup_code"]?.stringValue)
      let (accountant, _) = try await ConsoleAgent.signedIn(world, client, role: .accountant)
      let (auditor, _) = try await ConsoleAgent.signedIn(world, client, role: .auditor)
      let (elsewhere, _) = try await ConsoleAgent.signedIn(
        world, client, role: .accountant, agencies: [world.otherAgency])
      // Found by number, lookup code, dossier and (without case, in Vietnamese) the payer's name.
      for term in [number, String(Int(number)!), lookup, dossier, "đặng thị bích \(world.agency.lowercased())"] {
        let found = try await accountant.get("/console/receipts?q=\(ConsoleAgent.escape(term))")
        #expect(found.status == .ok)
        #expect(found.text.contains("/console/receipts/\(receipt.id)"), "\(term)")
        let theirs = try await elsewhere.get("/console/receipts?q=\(ConsoleAgent.escape(term))")
        #expect(!theirs.text.contains(receipt.id), "\(term)")
      }
      #expect(!(try await accountant.get("/console/receipts?q=%25").text.contains(receipt.id)), "% is not a wildcard")
      #expect(try await elsewhere.get("/console/receipts/\(receipt.id)").status == .notFound)
      // The page shows the verdict; only a writer gets the replace form.
      let page = try await accountant.get("/console/receipts/\(receipt.id)")
      #expect(page.status == .ok)
      #expect(page.text.contains("Chữ ký số hợp lệ"))
      #expect(page.text.contains("/receipts/\(lookup)"))
      #expect(page.text.contains("/console/receipts/\(receipt.id)/replace"))
      let audited = try await auditor.get("/console/receipts/\(receipt.id)")
      #expect(audited.status == .ok)
      #expect(!audited.text.contains("/replace"), "an auditor gets no form")
      let form = ["payer_name": "Đặng Thị Bích Ngọc", "reason": "Sai tên người nộp"]
      #expect(try await auditor.post("/console/receipts/\(receipt.id)/replace", form).status == .forbidden)
      #expect(try await elsewhere.post("/console/receipts/\(receipt.id)/replace", form).status == .notFound)
      #expect(
        try await accountant.post("/console/receipts/\(receipt.id)/replace", form, csrf: false).status == .forbidden)
      for (bad, field) in [
        (["payer_name": "Đặng Thị Bích Ngọc", "reason": "  "], "lý do"),
        (["payer_name": "", "reason": "Sai tên"], "họ tên"),
        (["payer_name": "Ngọc", "payer_id_number": "07912345678901234567890", "reason": "Sai"], "Số định danh"),
      ] {
        let r = try await accountant.post("/console/receipts/\(receipt.id)/replace", bad)
        #expect(r.status == .unprocessableContent)
        #expect(r.text.contains(field), "\(bad)")
      }
      #expect(try await world.scalar("SELECT count(*)::int FROM receipts WHERE invoice_id = \(invoice)") == 1)
      // Ten accountants' clicks at once replace it once.
      let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
        for _ in 0..<10 {
          group.addTask { try await accountant.post("/console/receipts/\(receipt.id)/replace", form).status }
        }
        return try await group.reduce(into: []) { $0.append($1) }
      }
      #expect(statuses.filter { $0 == .seeOther }.count == 1, "\(statuses)")
      #expect(statuses.filter { $0 == .conflict }.count == 9, "\(statuses)")
      #expect(try await world.scalar("SELECT count(*)::int FROM receipts WHERE invoice_id = \(invoice)") == 2)
      let old = try await accountant.get("/console/receipts/\(receipt.id)")
      #expect(old.text.contains("Biên lai không hợp lệ"))
      #expect(!old.text.contains("/replace\""), "a replaced receipt is not replaced again")
      let replacement = try #require(try await world.receipts.receipt(invoiceID: invoice, portal: nil))
      #expect(replacement.content["payer"]?["name"]?.stringValue == "Đặng Thị Bích Ngọc")
      #expect(old.text.contains("/console/receipts/\(replacement.id)"))
      let entries = try await world.database.query(
        "SELECT actor FROM audit_log WHERE action = 'receipt.replace' AND subject = \(receipt.id)")
      #expect(try entries.map { try $0.decode(String.self) }.allSatisfy { $0.hasPrefix("staff:accountant-") })
    }
  }

  @Test func theLedgerBalancesAsOfAMomentAndListsAnAccountsEntries() async throws {
    try await withFeePay(configure: Self.fast) { world, client in
      let before = world.clock.now
      world.clock.advance(by: 120)
      let bank = try await TestBank.hmac(world)
      let (_, code, total) = try await world.invoice(client)
      try await bank.pay(client, paymentCode: code, amount: total)
      let account = "fees_payable:\(world.agency):LPHT-01"
      let (accountant, _) = try await ConsoleAgent.signedIn(world, client, role: .auditor)
      let now = try await accountant.get("/console/ledger")
      #expect(now.status == .ok)
      #expect(now.text.contains(account))
      #expect(now.text.contains("Tổng phát sinh Nợ bằng tổng phát sinh Có"))
      let earlier = try await accountant.get("/console/ledger?as_of=\(VietnamLocalTime.format(before))")
      #expect(earlier.status == .ok)
      #expect(!earlier.text.contains(account), "the account had no entry then")
      for bad in ["yesterday", "2026-12-03T25:00", "2026-12-03"] {
        #expect(try await accountant.get("/console/ledger?as_of=\(bad)").status == .unprocessableContent, "\(bad)")
      }
      let entries = try await accountant.get("/console/ledger/entries?account=\(ConsoleAgent.escape(account))")
      #expect(entries.status == .ok)
      #expect(entries.text.contains(CitizenFormat.money(total)))
      #expect(entries.text.contains("payment"))
      // Another agency's accountant sees only that agency's accounts.
      let (elsewhere, _) = try await ConsoleAgent.signedIn(
        world, client, role: .accountant, agencies: [world.otherAgency])
      let theirs = try await elsewhere.get("/console/ledger")
      #expect(theirs.status == .ok)
      #expect(!theirs.text.contains(account) && !theirs.text.contains("bank_clearing:"))
      #expect(
        try await elsewhere.get("/console/ledger/entries?account=\(ConsoleAgent.escape(account))").status
          == .notFound)
      #expect(try await elsewhere.get("/console/ledger/entries").status == .notFound)
    }
  }
}
