import FeePayCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import Synchronization

/// What the citizen pages share: their templates (swift-mustache, compiled into the binary),
/// their style sheet and script (served from `/assets/`, since the pages' Content Security
/// Policy allows no inline script or style), the bank list, the language a reader gets, and
/// the per-address rate limit on lookups.
enum CitizenPages {
  static let templates: MustacheLibrary = {
    var library = MustacheLibrary()
    let sources: [(String, [UInt8])] = [
      ("layout", PackageResources.layout_mustache), ("pay", PackageResources.pay_mustache),
      ("receipt", PackageResources.receipt_mustache), ("message", PackageResources.message_mustache),
    ]
    for (name, bytes) in sources {
      // A template that does not parse is a build defect, caught by every page test.
      try! library.register(String(decoding: bytes, as: UTF8.self), named: name)
    }
    return library
  }()

  /// NAPAS's bank list, shipped in `Resources/Data/banks.json` (its `source` names where it
  /// comes from).
  static let banks: BankDirectory = try! BankDirectory(json: PackageResources.banks_json)

  /// The entries that have a value: a mustache section over an empty string would still
  /// render, so what is unknown is left out, never written as "".
  static func known(_ values: [String: String?]) -> [String: String] {
    values.compactMapValues { value in value.flatMap { $0.isEmpty ? nil : $0 } }
  }

  static func render(_ template: String, _ context: [String: Any]) -> String {
    guard let html = templates.render(context, withTemplate: template) else {
      preconditionFailure("no template named \(template)")
    }
    return html
  }

  /// Pages may load only FeePay's own style sheet and script; nothing may frame them.
  static let contentSecurityPolicy =
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
    + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

  static func assets(to router: Router<AppRequestContext>) {
    router.get("/assets/feepay.css") { _, _ in asset(PackageResources.feepay_css, type: "text/css; charset=utf-8") }
    router.get("/assets/pay.js") { _, _ in asset(PackageResources.pay_js, type: "text/javascript; charset=utf-8") }
  }

  static func asset(_ bytes: [UInt8], type: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = type
    headers[.cacheControl] = "public, max-age=300"
    headers[.xContentTypeOptions] = "nosniff"
    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
  }
}

/// The language of a citizen page: `?lang=en` or `?lang=vi` first, then the reader's
/// `Accept-Language` (the preferred of Vietnamese and English), then Vietnamese.
enum PageLanguage: String, Sendable {
  case vi, en

  init(_ request: Request) {
    if let asked = request.uri.queryParameters.get("lang") {
      self = asked == "en" ? .en : .vi
      return
    }
    self = Self.preferred(request.headers[.acceptLanguage] ?? "")
  }

  static func preferred(_ header: String) -> PageLanguage {
    var best: (PageLanguage, Double) = (.vi, -1)
    for item in header.split(separator: ",") {
      let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
      guard let tag = parts.first else { continue }
      let language: PageLanguage
      if tag == "vi" || tag.hasPrefix("vi-") {
        language = .vi
      } else if tag == "en" || tag.hasPrefix("en-") {
        language = .en
      } else {
        continue
      }
      let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
      if q > best.1 { best = (language, q) }
    }
    return best.1 > 0 ? best.0 : .vi
  }

  var english: Bool { self == .en }

  /// What the layout shows: the page's language and the link to the other one.
  var layout: [String: Any] {
    [
      "lang": rawValue,
      "other": english ? ["code": "vi", "name": "Tiếng Việt"] : ["code": "en", "name": "English"],
    ]
  }
}

extension Response {
  /// A citizen page: HTML under the pages' Content Security Policy, never cached (a payment
  /// page changes when the payment lands), never sent as a referrer.
  static func page(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
    .html(html, status: status, policy: CitizenPages.contentSecurityPolicy, referrer: "no-referrer")
  }

  /// HTML for people, under `policy`, never cached and never sniffed: the one shape of the
  /// citizen pages and the console.
  static func html(_ html: String, status: HTTPResponse.Status, policy: String, referrer: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/html; charset=utf-8"
    headers[.contentSecurityPolicy] = policy
    headers[.cacheControl] = "no-store"
    headers[.xContentTypeOptions] = "nosniff"
    headers[.referrerPolicy] = referrer
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
  }

  /// A page with only a heading and one message (not found, too many requests).
  static func message(
    _ language: PageLanguage, heading: String, message: String, tone: String = "bad", status: HTTPResponse.Status
  ) -> Response {
    var context = language.layout
    context["title"] = heading
    context["heading"] = heading
    context["message"] = message
    context["tone"] = tone
    return .page(CitizenPages.render("message", context), status: status)
  }
}

extension HTTPField.Name {
  static let xContentTypeOptions = Self("X-Content-Type-Options")!
  static let referrerPolicy = Self("Referrer-Policy")!
  static let acceptLanguage = Self("Accept-Language")!
  static let xForwardedFor = Self("X-Forwarded-For")!
}

/// The address of the person behind a request: the connection's peer, or, when that peer is
/// a proxy FeePay was told to trust (`FEEPAY_TRUSTED_PROXIES`), the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy. Without trusted proxies the header is
/// ignored, so a client cannot choose its own address.
struct ClientAddress: Sendable {
  let trustedProxies: Set<String>

  func of(_ request: Request, _ context: AppRequestContext) -> String {
    of(request, peer: context.remoteAddress)
  }

  func of(_ request: Request, peer address: SocketAddress?) -> String {
    let peer = address?.ipAddress ?? "unknown"
    guard trustedProxies.contains(peer), let header = request.headers[.xForwardedFor] else { return peer }
    let hops = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    return hops.last { !trustedProxies.contains($0) } ?? peer
  }
}

/// At most `limit` lookups per client address per `window`, counted in fixed windows, for the
/// pages a guessed link would open (`/pay/…`, `/receipts/…`). Each instance counts its own
/// requests: behind a load balancer of N instances an address gets at most N × `limit`.
final class PageRateLimit: Sendable {
  let limit: Int
  let window: TimeInterval
  let clock: any WallClock
  private let state = Mutex<(start: Date, counts: [String: Int])>((.distantPast, [:]))

  init(limit: Int, window: TimeInterval = 60, clock: any WallClock) {
    self.limit = limit
    self.window = window
    self.clock = clock
  }

  /// `nil` when the request may go on, else the seconds until the address may try again.
  func admit(_ address: String) -> Int? {
    let now = clock.now
    return state.withLock { state in
      if now.timeIntervalSince(state.start) >= window || now < state.start {
        state = (now, [:])
      }
      let count = state.counts[address, default: 0] + 1
      state.counts[address] = count
      guard count > limit else { return nil }
      return max(1, Int((window - now.timeIntervalSince(state.start)).rounded(.up)))
    }
  }
}

/// Answers 429 with `Retry-After`, as a page in the reader's language, once an address has
/// used its lookups.
struct PageRateLimitMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext
  let limiter: PageRateLimit
  let clients: ClientAddress

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    guard let retryAfter = limiter.admit(clients.of(request, context)) else { return try await next(request, context) }
    let language = PageLanguage(request)
    let t = { (vi: String, en: String) in language.english ? en : vi }
    var response = Response.message(
      language, heading: t("Quá nhiều yêu cầu", "Too many requests"),
      message: t(
        "Bạn đã mở quá nhiều trang trong thời gian ngắn. Vui lòng thử lại sau \(retryAfter) giây.",
        "Too many pages were opened from your address in a short time. Please try again in \(retryAfter) seconds."),
      status: .tooManyRequests)
    response.headers[.retryAfter] = String(retryAfter)
    return response
  }
}
