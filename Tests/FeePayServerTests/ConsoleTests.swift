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
      // With its own token the form works, once.
      let done = try await agent.post("/console/exceptions/\(id)/resolve", form)
      #expect(done.status == .seeOther)
      #expect(try await status(world, id) == "resolved")
      let audit = try await world.database.query(
        "SELECT actor FROM audit_log WHERE action = 'exception.resolve' AND subject = \(id)")
      #expect(try audit.map { try $0.decode(String.self) }.allSatisfy { $0.hasPrefix("staff:accountant-") })
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
}
