import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import NIOCore

/// What a console session remembers: who signed in, when (sessions last at most 8 hours
/// whatever their use), and the token every form of the session carries.
public struct ConsoleSession: Codable, Sendable {
  var staff: String
  var started: Date
  var csrf: String

  static let idle: Duration = .seconds(15 * 60)
  static let absolute: TimeInterval = 8 * 3600
  static let cookie = "__Host-feepay_session"
  /// The session cookie's name (for tests and operators).
  public static var cookieName: String { cookie }

  init(staff: String, started: Date) {
    self.staff = staff
    self.started = started
    self.csrf = Base64URL.encode(randomBytes(32))
  }
}

/// The request context of `/console/…`: the application's, plus the session that
/// hummingbird-auth's `SessionMiddleware` loads and the person signed in.
struct ConsoleContext: ChildRequestContext, SessionRequestContext {
  typealias Session = ConsoleSession
  var coreContext: CoreRequestContextStorage
  let requestID: String
  let remoteAddress: SocketAddress?
  let sessions = SessionContext<ConsoleSession>()
  /// Set by ``ConsoleSignedIn`` for every route behind it.
  var staff: StaffMember?
  var csrf = ""

  init(context: AppRequestContext) {
    self.coreContext = context.coreContext
    self.requestID = context.requestID
    self.remoteAddress = context.remoteAddress
  }

  /// Forms are small; statement files stream and are limited by the upload route itself.
  var maxUploadSize: Int { 1 << 20 }

  /// The person signed in; a route behind ``ConsoleSignedIn`` always has one.
  var person: StaffMember {
    get throws {
      guard let staff else { throw FeePayError(.internalError, "a console route ran without a signed-in person") }
      return staff
    }
  }

  /// The person, if their role is one of `roles`; 403 otherwise.
  func person(in roles: Set<Role>) throws -> StaffMember {
    let person = try self.person
    guard roles.contains(person.role) else {
      throw FeePayError(.forbidden, "Your role (\(person.role.rawValue)) may not do this.")
    }
    return person
  }
}

/// hummingbird-auth's session storage kept in PostgreSQL (`staff_sessions`), so that every
/// instance sees every session and disabling a person ends theirs at once.
struct PostgresSessionDriver: PersistDriver {
  let staff: StaffStore
  let clock: any WallClock

  func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
    try await set(key: key, value: value, expires: expires)
  }

  func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
    let now = clock.now
    let seconds = Double((expires ?? ConsoleSession.idle).components.seconds)
    let text = String(decoding: try JSONEncoder.console.encode(value), as: UTF8.self)
    try await staff.saveSession(
      key: key, staffID: (value as? ConsoleSession)?.staff, value: text, expiresAt: now.addingTimeInterval(seconds),
      now: now)
  }

  func get<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> Object? {
    try await getWithTTL(key: key, as: type)?.object
  }

  func getWithTTL<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> (
    object: Object, ttl: Duration?
  )? {
    let now = clock.now
    guard let (text, expiresAt) = try await staff.session(key: key, now: now) else { return nil }
    do {
      let object = try JSONDecoder.console.decode(type, from: Data(text.utf8))
      return (object, .seconds(Int64(expiresAt.timeIntervalSince(now))))
    } catch {
      throw PersistError.invalidConversion
    }
  }

  func remove(key: String) async throws {
    try await staff.removeSession(key: key)
  }
}

extension JSONEncoder {
  static let console: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .secondsSince1970
    return encoder
  }()
}

extension JSONDecoder {
  static let console: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .secondsSince1970
    return decoder
  }()
}

/// A console form, read from an `application/x-www-form-urlencoded` body.
struct Form: Sendable {
  var values: [String: String]

  init(_ values: [String: String]) { self.values = values }

  init(body: ByteBuffer) throws {
    var values: [String: String] = [:]
    for pair in String(buffer: body).split(separator: "&") {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      func decode(_ s: Substring) -> String? { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
      guard let name = parts.first.flatMap(decode), let value = (parts.count > 1 ? decode(parts[1]) : "") else {
        throw FeePayError(.malformedRequest, "The form could not be read.")
      }
      values[name] = value
    }
    self.values = values
  }

  subscript(_ name: String) -> String? {
    values[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
  }
}

extension Request {
  /// The form of a console POST: ``ConsoleSignedIn`` has already read and checked it (the
  /// CSRF token), and left it as the body.
  func form(_ context: ConsoleContext) async throws -> Form {
    let contentType = headers[.contentType]?.lowercased() ?? ""
    guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
      throw FeePayError(.unsupportedMediaType, "Send the form as application/x-www-form-urlencoded.")
    }
    return try Form(body: try await body.collect(upTo: context.maxUploadSize))
  }
}
