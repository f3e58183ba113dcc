import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import NIOCore

/// Errors of console routes become console pages (in the reader's language, with the
/// request id to quote), not problem documents; every console response gets HSTS when
/// configured.
struct ConsoleErrors: RouterMiddleware {
  typealias Context = ConsoleContext
  let strictTransportSecurity: String?

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    var response: Response
    do {
      response = try await next(request, context)
    } catch {
      let problem = RequestMiddleware.problem(
        for: error, requestID: context.requestID, logger: context.logger, maxUploadSize: context.maxUploadSize)
      var page = ConsolePage(request, context, title: "error_title", section: "")
      page["heading"] = page.t["error_\(problem.status)"] ?? page.t["error_title"]!
      page["message"] = problem.detail
      page["request_id"] = context.requestID
      response = page.response("notice", status: HTTPResponse.Status(code: problem.status), request: request)
    }
    if let strictTransportSecurity { response.headers[.strictTransportSecurity] = strictTransportSecurity }
    return response
  }
}

/// Refuses a state-changing request another site started (`Sec-Fetch-Site: cross-site`), the
/// first line against forged forms, before any session is looked at; the CSRF token is the
/// second.
struct ConsoleSameOrigin: RouterMiddleware {
  typealias Context = ConsoleContext

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    if request.method == .post, request.headers[.secFetchSite] == "cross-site" {
      throw FeePayError(.forbidden, "The console accepts forms only from its own pages.")
    }
    return try await next(request, context)
  }
}

/// Admits a request only in the session of an active person: sends the browser to the
/// sign-in page otherwise (a 403 for a form). Ends a session older than 8 hours, keeps an
/// idle one alive for 15 more minutes, and checks every form's CSRF token against the
/// session's: a POST without it, or with another session's, is refused with 403 before the
/// route runs.
struct ConsoleSignedIn: RouterMiddleware {
  typealias Context = ConsoleContext
  let staff: StaffStore
  let clock: any WallClock

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    var context = context
    let now = clock.now
    guard let session = context.sessions.session else { return try signIn(request) }
    guard now.timeIntervalSince(session.started) < ConsoleSession.absolute,
      let person = try await staff.member(id: session.staff), person.status == .active
    else {
      context.sessions.clearSession()
      return try signIn(request)
    }
    context.staff = person
    context.csrf = session.csrf
    context.logger[metadataKey: "staff"] = .string(person.email)
    var request = request
    if request.method == .post {
      let contentType = request.headers[.contentType]?.lowercased() ?? ""
      let presented: String?
      if contentType.hasPrefix("application/x-www-form-urlencoded") {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        presented = try Form(body: body).values["csrf"]
        request.body = RequestBody(buffer: body)
      } else {
        // A statement file streams: its form's token travels in a header (the script) or
        // in the form's action (without the script).
        presented = request.headers[.csrfToken] ?? request.uri.queryParameters.get("csrf").map { String($0) }
      }
      guard let presented, constantTimeEqual(Array(presented.utf8), Array(session.csrf.utf8)) else {
        throw FeePayError(
          .forbidden, "The form's security token is missing or belongs to another session; nothing was changed.")
      }
    }
    // Fifteen more idle minutes from now.
    context.sessions.withLockedSession { $0?.expiresIn = ConsoleSession.idle }
    return try await next(request, context)
  }

  /// To the sign-in page (and back here afterwards); a form without a live session is
  /// refused, since what it asked for was never seen by a signed-in person.
  func signIn(_ request: Request) throws -> Response {
    guard request.method == .get || request.method == .head else {
      throw FeePayError(.forbidden, "Your session has ended; sign in again. Nothing was changed.")
    }
    let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
    return .seeOther("/console/sign-in?next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
  }
}

func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
  guard a.count == b.count else { return false }
  var difference: UInt8 = 0
  for (x, y) in zip(a, b) { difference |= x ^ y }
  return difference == 0
}
