import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import HummingbirdBcrypt
import HummingbirdOTP
import NIOCore
import NIOPosix

/// Enrolment (the one-time link: a password and an authenticator), sign-in (email, password
/// and a TOTP code, every time) and sign-out.
struct SignInRoutes: Sendable {
  let staff: StaffStore
  let clock: any WallClock
  let clients: ClientAddress
  /// bcrypt's cost (2^cost rounds); 12 in production.
  let bcryptCost: UInt8

  /// A hash that no password matches, verified when the email is unknown so that an unknown
  /// email takes as long to refuse as a wrong password.
  static let decoy = Bcrypt.hash("feepay-decoy-password-\(UUID().uuidString)", cost: 12)

  func add(to console: RouterGroup<ConsoleContext>) {
    console.get("sign-in") { request, context in signInPage(request, context, problem: nil) }
    console.post("sign-in") { request, context in try await signIn(request, context) }
    console.get("enrol/:token") { request, context in try await enrolPage(request, context, problem: nil) }
    console.post("enrol/:token") { request, context in try await enrol(request, context) }
  }

  func addSignOut(to signedIn: RouterGroup<ConsoleContext>) {
    signedIn.post("sign-out") { request, context in
      let person = try context.person
      context.sessions.clearSession()
      try await staff.recordSignOut(email: person.email, now: clock.now)
      return Response.seeOther("/console/sign-in?signed_out=1")
    }
  }

  // MARK: Signing in

  func signInPage(
    _ request: Request, _ context: ConsoleContext, problem: String?, email: String? = nil,
    status: HTTPResponse.Status = .ok
  ) -> Response {
    var page = ConsolePage(request, context, title: "sign_in_title", section: "")
    let q = request.uri.queryParameters
    page["next"] = q.get("next").map { String($0) }
    if let problem { page["problem"] = problem }
    if q.get("signed_out") != nil { page["notice"] = page.t["signed_out"] }
    if q.get("enrolled") != nil { page["notice"] = page.t["enrolled"] }
    if let email { page["email"] = email }
    return page.response("sign-in", status: status, request: request)
  }

  func signIn(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let form = try await request.form(context)
    let t = ConsoleText.table(PageLanguage.console(request))
    let now = clock.now
    let address = clients.of(request, peer: context.remoteAddress)
    let email = (form["email"] ?? "").lowercased()
    let password = form.values["password"] ?? ""
    let code = (form["code"] ?? "").filter { !$0.isWhitespace }
    func refuse(_ message: String) -> Response {
      signInPage(request, context, problem: message, email: email, status: .unauthorized)
    }
    guard let found = try await staff.credentials(email: email) else {
      _ = await verify(password, Self.decoy)
      return refuse(t["sign_in_wrong"]!)
    }
    if let locked = found.lockedUntil, locked > now {
      return refuse(t["sign_in_locked"]!.replacingOccurrences(of: "{until}", with: CitizenFormat.vietnamTime(locked)))
    }
    guard found.member.status == .active, let hash = found.passwordHash else {
      _ = await verify(password, Self.decoy)
      return refuse(t["sign_in_wrong"]!)
    }
    func failed(_ reason: String) async throws -> Response {
      let locked = try await staff.recordFailure(
        id: found.member.id, email: email, reason: reason, address: address, now: now)
      let until = now.addingTimeInterval(StaffStore.lockFor)
      return refuse(
        locked
          ? t["sign_in_locked"]!.replacingOccurrences(of: "{until}", with: CitizenFormat.vietnamTime(until))
          : t["sign_in_wrong"]!)
    }
    guard await verify(password, hash) else { return try await failed("password") }
    guard let step = Self.step(matching: code, secret: found.totpSecret, at: now) else {
      return try await failed("code")
    }
    guard try await staff.recordSignIn(id: found.member.id, step: step, address: address, now: now) else {
      return try await failed("code_reused")
    }
    // A new session id at every sign-in: a session fixed before sign-in is never promoted.
    context.sessions.createSession(
      ConsoleSession(staff: found.member.id, started: now), expiresIn: ConsoleSession.idle)
    return .seeOther(Self.safeNext(form["next"]))
  }

  /// Where to go after signing in: a console path, never another site.
  static func safeNext(_ next: String?) -> String {
    guard let next, next.hasPrefix("/console"), !next.contains("//"), !next.contains("\\") else { return "/console" }
    return next
  }

  /// bcrypt on NIO's thread pool: a few hundred milliseconds that must not block an event loop.
  func verify(_ password: String, _ hash: String) async -> Bool {
    (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }) ?? false
  }

  /// The 30-second step (of the previous, current and next, to allow for clock drift) whose
  /// code `code` is, if any.
  static func step(matching code: String, secret: String, at now: Date) -> Int64? {
    guard code.count == 6, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else { return nil }
    let totp = TOTP(secret: secret)
    let current = Int64(now.timeIntervalSince1970 / 30)
    for step in [current - 1, current, current + 1] {
      let expected = String(format: "%06d", totp.compute(date: Date(timeIntervalSince1970: Double(step) * 30)))
      if constantTimeEqual(Array(expected.utf8), Array(code.utf8)) { return step }
    }
    return nil
  }

  // MARK: Enrolling

  func enrolPage(
    _ request: Request, _ context: ConsoleContext, problem: String?,
    status: HTTPResponse.Status = .ok
  ) async throws -> Response {
    let token = try context.parameters.require("token")
    var page = ConsolePage(request, context, title: "enrol_title", section: "")
    guard let (member, secret) = try await staff.enrolment(token: token, now: clock.now) else {
      page["heading"] = page.t["enrol_gone"]
      page["message"] = page.t["enrol_gone_detail"]
      return page.response("notice", status: .gone, request: request)
    }
    let url = TOTP(secret: secret).createAuthenticatorURL(label: "FeePay:\(member.email)", issuer: "FeePay")
    page["member"] = ["name": member.name, "email": member.email, "role": page.t["role_\(member.role.rawValue)"]!]
    page["qr"] = QRImage.svg(url, moduleSize: 4, label: page.t["enrol_qr_label"]!)
    // The base32 form authenticator apps ask for when typed by hand: the URL's `secret`.
    let base32 = URLComponents(string: url)?.queryItems?.first { $0.name == "secret" }?.value ?? ""
    page["secret"] = base32.chunked(4).joined(separator: " ")
    page["action"] = "/console/enrol/\(token)"
    page["pw_hint"] = page.t["enrol_pw_hint"]!.replacingOccurrences(
      of: "{n}", with: String(PasswordPolicy.minimumLength))
    if let problem { page["problem"] = problem }
    return page.response("enrol", status: status, request: request)
  }

  func enrol(_ request: Request, _ context: ConsoleContext) async throws -> Response {
    let token = try context.parameters.require("token")
    let form = try await request.form(context)
    let t = ConsoleText.table(PageLanguage.console(request))
    let now = clock.now
    guard let (member, secret) = try await staff.enrolment(token: token, now: now) else {
      return try await enrolPage(request, context, problem: nil)
    }
    let password = form.values["password"] ?? ""
    func refuse(_ message: String) async throws -> Response {
      try await enrolPage(request, context, problem: message, status: .unprocessableContent)
    }
    if let refusal = PasswordPolicy.refusal(password, email: member.email, name: member.name) {
      return try await refuse(ConsoleText.password(refusal, t))
    }
    guard password == form.values["password_again"] else { return try await refuse(t["enrol_mismatch"]!) }
    guard let step = Self.step(matching: form["code"] ?? "", secret: secret, at: now) else {
      return try await refuse(t["enrol_code_wrong"]!)
    }
    let cost = bcryptCost
    let hash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    guard try await staff.completeEnrolment(token: token, passwordHash: hash, step: step, now: now) else {
      return try await enrolPage(request, context, problem: nil)
    }
    return .seeOther("/console/sign-in?enrolled=1")
  }
}

extension String {
  func chunked(_ size: Int) -> [String] {
    stride(from: 0, to: count, by: size).map { start in
      let a = index(startIndex, offsetBy: start)
      return String(self[a..<(index(a, offsetBy: size, limitedBy: endIndex) ?? endIndex)])
    }
  }
}
