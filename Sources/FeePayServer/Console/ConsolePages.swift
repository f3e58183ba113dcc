import Crypto
import FeePayCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// What every console page shares: the templates (swift-mustache, compiled into the binary,
/// one layout), the label table in Vietnamese and English, the style sheet and script
/// (served under names that carry their hash, so they are cached for a year), and the
/// headers (a Content Security Policy of `default-src 'self'`: no inline script or style).
enum ConsolePages {
  static let templates: MustacheLibrary = {
    var library = MustacheLibrary()
    let sources: [(String, [UInt8])] = [
      ("console", PackageResources.console_mustache), ("sign-in", PackageResources.sign_in_mustache),
      ("enrol", PackageResources.enrol_mustache), ("today", PackageResources.today_mustache),
      ("exceptions", PackageResources.exceptions_mustache), ("exception", PackageResources.exception_mustache),
      ("days", PackageResources.days_mustache), ("day", PackageResources.day_mustache),
      ("statements", PackageResources.statements_mustache), ("statement", PackageResources.statement_mustache),
      ("audit", PackageResources.audit_mustache), ("admin", PackageResources.admin_mustache),
      ("notice", PackageResources.notice_mustache), ("reports", PackageResources.reports_mustache),
      ("receipts", PackageResources.receipts_mustache), ("receipt", PackageResources.receipt_detail_mustache),
      ("ledger", PackageResources.ledger_mustache), ("entries", PackageResources.entries_mustache),
    ]
    for (name, bytes) in sources {
      // A template that does not parse is a build defect, caught by every console test.
      try! library.register(String(decoding: bytes, as: UTF8.self), named: name)
    }
    return library
  }()

  static func render(_ template: String, _ context: [String: Any]) -> String {
    guard let html = templates.render(context, withTemplate: template) else {
      preconditionFailure("no template named \(template)")
    }
    return html
  }

  /// `console-<first 12 hex digits of the SHA-256>.css|js`.
  static func hashedName(_ bytes: [UInt8], _ ext: String) -> String {
    "console-" + SHA256.hash(data: bytes).prefix(6).map { String(format: "%02x", $0) }.joined() + "." + ext
  }

  static let styleName = hashedName(PackageResources.console_css, "css")
  static let scriptName = hashedName(PackageResources.console_js, "js")

  static func assets(to router: Router<AppRequestContext>) {
    for (name, bytes, type) in [
      (styleName, PackageResources.console_css, "text/css; charset=utf-8"),
      (scriptName, PackageResources.console_js, "text/javascript; charset=utf-8"),
    ] {
      router.get("/assets/\(name)") { _, _ in
        var response = CitizenPages.asset(bytes, type: type)
        response.headers[.cacheControl] = "public, max-age=31536000, immutable"
        return response
      }
    }
  }

  static let contentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

  /// The navigation: each role sees the sections it may open.
  static func navigation(_ person: StaffMember, current: String, t: [String: String]) -> [[String: Any]] {
    var items: [(String, String, String)] = [
      ("today", "/console", t["nav_today"]!), ("statements", "/console/statements", t["nav_statements"]!),
      ("exceptions", "/console/exceptions", t["nav_exceptions"]!), ("days", "/console/days", t["nav_days"]!),
      ("reports", "/console/reports", t["nav_reports"]!), ("receipts", "/console/receipts", t["nav_receipts"]!),
      ("ledger", "/console/ledger", t["nav_ledger"]!),
    ]
    if person.role == .auditor || person.role == .admin {
      items.append(("audit", "/console/audit", t["nav_audit"]!))
    }
    if person.role == .admin { items.append(("admin", "/console/admin", t["nav_admin"]!)) }
    return items.map { id, href, label in
      var item: [String: Any] = ["href": href, "label": label]
      if id == current { item["current"] = true }
      return item
    }
  }

  /// Whether the person may change things (an auditor only reads).
  static func writes(_ person: StaffMember) -> Bool { person.role == .accountant || person.role == .admin }
}

/// The console's language: `?lang=` (remembered in a cookie), then the cookie, then
/// Vietnamese. Browsers' `Accept-Language` is not followed: staff work in Vietnamese, and an
/// English browser would otherwise switch their console without asking.
extension PageLanguage {
  static func console(_ request: Request) -> PageLanguage {
    if let asked = request.uri.queryParameters.get("lang") { return asked == "en" ? .en : .vi }
    return request.cookies["feepay_lang"]?.value == "en" ? .en : .vi
  }
}

/// A page being put together: the layout's values, the labels, and the page's own values.
struct ConsolePage {
  var language: PageLanguage
  var values: [String: Any]

  init(_ request: Request, _ context: ConsoleContext, title: String, section: String) {
    language = PageLanguage.console(request)
    let t = ConsoleText.table(language)
    values = language.layout
    values["t"] = t
    values["title"] = t[title] ?? title
    values["style"] = "/assets/\(ConsolePages.styleName)"
    values["script"] = "/assets/\(ConsolePages.scriptName)"
    values["csrf"] = context.csrf
    if let person = context.staff {
      values["person"] = ["name": person.name, "email": person.email, "role": t["role_\(person.role.rawValue)"]!]
      values["nav"] = ConsolePages.navigation(person, current: section, t: t)
      if ConsolePages.writes(person) { values["writes"] = true }
    }
  }

  var t: [String: String] { values["t"] as! [String: String] }
  var english: Bool { language.english }

  subscript(_ key: String) -> Any? {
    get { values[key] }
    set { values[key] = newValue }
  }

  func response(_ template: String, status: HTTPResponse.Status = .ok, request: Request) -> Response {
    var response = Response.console(ConsolePages.render(template, values), status: status)
    if let asked = request.uri.queryParameters.get("lang"), ["vi", "en"].contains(asked) {
      response.setCookie(Cookie(name: "feepay_lang", value: asked, path: "/console", sameSite: .lax))
    }
    return response
  }
}

extension Response {
  /// A console page: HTML under the console's policy, never cached, never framed.
  static func console(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
    .html(html, status: status, policy: ConsolePages.contentSecurityPolicy, referrer: "same-origin")
  }

  /// `303 See Other` to `location` (after a form, so that reloading does not post again).
  static func seeOther(_ location: String) -> Response {
    var headers = HTTPFields()
    headers[.location] = location
    headers[.cacheControl] = "no-store"
    return Response(status: .seeOther, headers: headers)
  }

  /// A CSV download.
  static func csv(_ text: String, filename: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/csv; charset=utf-8"
    headers[.contentDisposition] = "attachment; filename=\"\(filename)\""
    headers[.cacheControl] = "no-store"
    headers[.xContentTypeOptions] = "nosniff"
    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
  }
}

extension HTTPField.Name {
  static let strictTransportSecurity = Self("Strict-Transport-Security")!
  static let secFetchSite = Self("Sec-Fetch-Site")!
  static let csrfToken = Self("X-CSRF-Token")!
}
