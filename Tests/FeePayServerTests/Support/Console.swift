import Crypto
import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s), written here from the RFC rather than taken
/// from HummingbirdOTP, so that the console's codes are checked against a second reading.
func totp(secret: String, at date: Date, stepOffset: Int64 = 0) -> String {
  let step = UInt64(Int64(date.timeIntervalSince1970 / 30) + stepOffset)
  let message = withUnsafeBytes(of: step.bigEndian) { Array($0) }
  let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8))))
  let offset = Int(mac[19] & 0x0f)
  let value =
    (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
    | UInt32(mac[offset + 3])
  return String(format: "%06d", value % 1_000_000)
}

/// A browser for router tests: keeps the console's session cookie and reads forms' tokens.
final class ConsoleAgent: @unchecked Sendable {
  let client: any TestClientProtocol
  var cookie: String?

  init(_ client: any TestClientProtocol) { self.client = client }

  @discardableResult
  func get(_ path: String) async throws -> TestResponse {
    try await send(.get, path, body: nil, type: nil)
  }

  @discardableResult
  func post(_ path: String, _ form: [String: String], csrf: Bool = true) async throws -> TestResponse {
    var form = form
    if csrf, form["csrf"] == nil, let token = try await self.csrf() { form["csrf"] = token }
    let body = form.map { "\(Self.escape($0.key))=\(Self.escape($0.value))" }.joined(separator: "&")
    return try await send(.post, path, body: Array(body.utf8), type: "application/x-www-form-urlencoded")
  }

  func send(
    _ method: HTTPRequest.Method, _ path: String, body: [UInt8]?, type: String?, extra: [String: String] = [:]
  ) async throws -> TestResponse {
    var headers = HTTPFields()
    if let cookie { headers[.cookie] = cookie }
    if let type { headers[.contentType] = type }
    for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
    let response = try await client.execute(
      uri: path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }
    ) { $0 }
    for value in response.headers[values: .setCookie] where value.hasPrefix(ConsoleSession.cookieName + "=") {
      let pair = value.split(separator: ";")[0]
      let expired =
        value.lowercased().contains("max-age=0") || pair == ConsoleSession.cookieName + "="
        || value.contains("Expires=Thu, 01 Jan 1970")
      cookie = expired ? nil : String(pair)
    }
    return response
  }

  /// The statement upload form's body, as a browser without the script sends it.
  static func multipart(
    connector: String, day: BusinessDate, file: [UInt8],
    boundary: String = "----feepay\(UInt32.random(in: 0...UInt32.max))"
  ) -> (body: [UInt8], contentType: String) {
    var head = ""
    for (name, value) in [("connector", connector), ("business_date", day.description)] {
      head += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
    }
    head += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"sao-ke.csv\"\r\n"
    head += "Content-Type: text/csv\r\n\r\n"
    return (
      Array(head.utf8) + file + Array("\r\n--\(boundary)--\r\n".utf8), "multipart/form-data; boundary=\(boundary)"
    )
  }

  /// The CSRF token the console's layout puts in its sign-out form.
  func csrf() async throws -> String? {
    let page = try await get("/console")
    return Self.hidden("csrf", in: page.text)
  }

  static func hidden(_ name: String, in html: String) -> String? {
    guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
    let rest = html[range.upperBound...]
    return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
  }

  static func escape(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
  }

  /// Adds a person, enrols them with `password` through the enrolment page, and signs them in.
  static func signedIn(
    _ world: TestWorld, _ client: any TestClientProtocol, role: Role, agencies: Set<String> = [],
    password: String = "correct horse battery staple 7"
  ) async throws -> (ConsoleAgent, Person) {
    let person = try await Person.enrolled(world, client, role: role, agencies: agencies, password: password)
    let agent = ConsoleAgent(client)
    let r = try await agent.signIn(person, at: world.clock.now.addingTimeInterval(30))
    guard r.status == .seeOther else { throw FeePayError(.internalError, "sign-in answered \(r.status)") }
    return (agent, person)
  }

  @discardableResult
  func signIn(_ person: Person, password: String? = nil, code: String? = nil, at date: Date) async throws
    -> TestResponse
  {
    try await post(
      "/console/sign-in",
      [
        "email": person.email, "password": password ?? person.password,
        "code": code ?? totp(secret: person.secret, at: date),
      ], csrf: false)
  }

  struct Person: Sendable {
    var email: String
    var password: String
    var secret: String
    var id: String

    static func added(_ world: TestWorld, role: Role, agencies: Set<String> = []) async throws -> (
      StaffMember, StaffEnrolment
    ) {
      let store = StaffStore(database: world.database, ids: IDGenerator(clock: world.clock), secrets: world.secrets)
      let email = "\(role.rawValue)-\(UInt64.random(in: 0...UInt64.max))@so-tu-phap.gov.vn"
      return try await store.add(
        email: email, name: "Trần Thị Bình", role: role, agencies: agencies, actor: "test", now: world.clock.now)
    }

    static func enrolled(
      _ world: TestWorld, _ client: any TestClientProtocol, role: Role, agencies: Set<String> = [],
      password: String
    ) async throws -> Person {
      let (member, enrolment) = try await added(world, role: role, agencies: agencies)
      let agent = ConsoleAgent(client)
      let r = try await agent.post(
        "/console/enrol/\(enrolment.token)",
        [
          "password": password, "password_again": password,
          "code": totp(secret: enrolment.totpSecret, at: world.clock.now),
        ], csrf: false)
      guard r.status == .seeOther else {
        throw FeePayError(.internalError, "enrolment answered \(r.status): \(r.text.prefix(300))")
      }
      return Person(email: member.email, password: password, secret: enrolment.totpSecret, id: member.id)
    }
  }
}

extension TestResponse {
  var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }
}
