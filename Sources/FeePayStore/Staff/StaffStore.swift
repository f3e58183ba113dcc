public import FeePayCore
public import Foundation
import Logging
import PostgresNIO

/// The console's people and their sessions: enrolment, sign-in (failures, lockout, one use
/// of each TOTP code) and what `feepay staff` changes. Every change is audited with who made
/// it; the person's own sign-ins are audited as them.
public struct StaffStore: Sendable {
  let database: Database
  let ids: IDGenerator
  let secrets: SecretBox

  /// Failed sign-ins in a row that lock an account, and for how long.
  public static let lockAfter = 5
  public static let lockFor: TimeInterval = 15 * 60

  public init(database: Database, ids: IDGenerator, secrets: SecretBox) {
    self.database = database
    self.ids = ids
    self.secrets = secrets
  }

  static let columns = "id, email, name, role, agencies, status, created_at"

  static func decode(_ row: PostgresRow) throws -> StaffMember {
    let (id, email, name, role, agencies, status, created) = try row.decode(
      (String, String, String, String, [String], String, Date).self)
    return StaffMember(
      id: id, email: email, name: name, role: try .stored(role, column: "staff.role"), agencies: Set(agencies),
      status: try .stored(status, column: "staff.status"), createdAt: created)
  }

  // MARK: What `feepay staff` does

  /// Adds a person who must enrol within 24 hours; answers them and the enrolment token.
  public func add(
    email: String, name: String, role: Role, agencies: Set<String>, actor: String, now: Date
  ) async throws -> (StaffMember, StaffEnrolment) {
    let email = email.lowercased()
    guard StaffMember.isWellFormed(email: email) else {
      throw FeePayError(.validationFailed, "\(email) is not an email address")
    }
    guard StaffMember.roles.contains(role) else {
      throw FeePayError(.validationFailed, "a person's role is accountant, auditor or admin")
    }
    let name = name.trimmingCharacters(in: .whitespacesAndNewlines).nfc
    guard (1...200).contains(name.count) else {
      throw FeePayError(.validationFailed, "the name must be 1–200 characters")
    }
    let enrolment = StaffEnrolment()
    let id = ids.make(.staff)
    let sealed = Data(secrets.seal(enrolment.totpSecret, context: StaffEnrolment.sealContext(staffID: id)))
    let expires = now.addingTimeInterval(StaffEnrolment.lifetime)
    do {
      return try await database.transaction { c in
        let unknown = try await c.query(
          "SELECT a FROM unnest(\(Array(agencies).sorted())::text[]) a WHERE a NOT IN (SELECT code FROM agencies)",
          logger: database.logger
        ).collect().map { try $0.decode(String.self) }
        guard unknown.isEmpty else {
          throw FeePayError(.validationFailed, "no agency \(unknown.joined(separator: ", ")) exists")
        }
        let rows = try await c.query(
          """
          INSERT INTO staff (id, email, name, role, agencies, status, totp_secret_sealed, enrolment_hash,
                             enrolment_expires_at, created_at)
          VALUES (\(id), \(email), \(name), \(role.rawValue), \(Array(agencies).sorted()), 'enrolling', \(sealed),
                  \(Data(enrolment.tokenHash)), \(expires), \(now))
          RETURNING \(unescaped: Self.columns)
          """, logger: database.logger
        ).collect()
        try await AuditLog.append(
          on: c, logger: database.logger, at: now, actor: actor, action: "staff.add", subject: "staff:\(email)",
          summary: [
            "role": .string(role.rawValue), "name": .string(name),
            "agencies": .array(agencies.sorted().map(JSONValue.string)),
          ])
        return (try Self.decode(rows[0]), enrolment)
      }
    } catch let error as FeePayError where error.code == .conflict {
      throw FeePayError(.conflict, "\(email) is already a member of staff")
    }
  }

  public func list() async throws -> [StaffMember] {
    try await database.query("SELECT \(unescaped: Self.columns) FROM staff ORDER BY email").map(Self.decode)
  }

  public func member(id: String) async throws -> StaffMember? {
    try await database.query("SELECT \(unescaped: Self.columns) FROM staff WHERE id = \(id)").first.map(Self.decode)
  }

  /// Disables a person and ends their sessions at once.
  public func disable(email: String, actor: String, now: Date) async throws {
    try await database.transaction { c in
      let rows = try await c.query(
        "UPDATE staff SET status = 'disabled', password_hash = NULL, enrolment_hash = NULL, enrolment_expires_at = NULL WHERE email = \(email.lowercased()) RETURNING id",
        logger: database.logger
      ).collect()
      guard let id = try rows.first?.decode(String.self) else { throw FeePayError(.notFound, "no staff \(email)") }
      try await c.query("DELETE FROM staff_sessions WHERE staff_id = \(id)", logger: database.logger)
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: actor, action: "staff.disable",
        subject: "staff:\(email.lowercased())")
    }
  }

  /// Starts a person's enrolment again (a forgotten password, a lost phone): the password and
  /// the authenticator are cleared, their sessions end, and a new link is answered.
  public func reset(email: String, actor: String, now: Date) async throws -> (StaffMember, StaffEnrolment) {
    let enrolment = StaffEnrolment()
    return try await database.transaction { c in
      let found = try await c.query(
        "SELECT id FROM staff WHERE email = \(email.lowercased()) FOR UPDATE", logger: database.logger
      ).collect()
      guard let id = try found.first?.decode(String.self) else { throw FeePayError(.notFound, "no staff \(email)") }
      let sealed = Data(secrets.seal(enrolment.totpSecret, context: StaffEnrolment.sealContext(staffID: id)))
      let rows = try await c.query(
        """
        UPDATE staff SET status = 'enrolling', password_hash = NULL, totp_secret_sealed = \(sealed),
          totp_last_step = 0, failed_sign_ins = 0, locked_until = NULL,
          enrolment_hash = \(Data(enrolment.tokenHash)), enrolment_expires_at = \(now.addingTimeInterval(StaffEnrolment.lifetime))
        WHERE id = \(id) RETURNING \(unescaped: Self.columns)
        """, logger: database.logger
      ).collect()
      try await c.query("DELETE FROM staff_sessions WHERE staff_id = \(id)", logger: database.logger)
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: actor, action: "staff.reset",
        subject: "staff:\(email.lowercased())")
      return (try Self.decode(rows[0]), enrolment)
    }
  }

  // MARK: Enrolment

  /// The person an unexpired, unused enrolment token belongs to, and their TOTP secret.
  public func enrolment(token: String, now: Date) async throws -> (StaffMember, totpSecret: String)? {
    let rows = try await database.query(
      """
      SELECT \(unescaped: Self.columns), totp_secret_sealed FROM staff
      WHERE enrolment_hash = \(Data(NewAPIKey.sha256(token))) AND enrolment_expires_at > \(now) AND status = 'enrolling'
      """)
    guard let row = rows.first else { return nil }
    let member = try Self.decode(row)
    let sealed = try row.decode((String, String, String, String, [String], String, Date, Data).self).7
    return (member, try secrets.open(Array(sealed), context: StaffEnrolment.sealContext(staffID: member.id)))
  }

  /// Sets the password (its bcrypt hash) and activates the person, once: a second use of the
  /// same link, or one after it expired, answers `false` and changes nothing. `step` is the
  /// TOTP step of the code the person proved their authenticator with.
  public func completeEnrolment(token: String, passwordHash: String, step: Int64, now: Date) async throws -> Bool {
    try await database.transaction { c in
      let rows = try await c.query(
        """
        UPDATE staff SET status = 'active', password_hash = \(passwordHash), totp_last_step = \(step),
          enrolment_hash = NULL, enrolment_expires_at = NULL
        WHERE enrolment_hash = \(Data(NewAPIKey.sha256(token))) AND enrolment_expires_at > \(now) AND status = 'enrolling'
        RETURNING email
        """, logger: database.logger
      ).collect()
      guard let email = try rows.first?.decode(String.self) else { return false }
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: "staff:\(email)", action: "staff.enrol",
        subject: "staff:\(email)")
      return true
    }
  }

  // MARK: Signing in

  /// What a sign-in is checked against.
  public struct Credentials: Sendable {
    public var member: StaffMember
    public var passwordHash: String?
    public var totpSecret: String
    public var lockedUntil: Date?
  }

  public func credentials(email: String) async throws -> Credentials? {
    let rows = try await database.query(
      """
      SELECT \(unescaped: Self.columns), password_hash, totp_secret_sealed, locked_until FROM staff
      WHERE email = \(email.lowercased())
      """)
    guard let row = rows.first else { return nil }
    let member = try Self.decode(row)
    let (_, _, _, _, _, _, _, hash, sealed, locked) = try row.decode(
      (String, String, String, String, [String], String, Date, String?, Data, Date?).self)
    return Credentials(
      member: member, passwordHash: hash,
      totpSecret: try secrets.open(Array(sealed), context: StaffEnrolment.sealContext(staffID: member.id)),
      lockedUntil: locked)
  }

  /// Counts a failed sign-in (audited); the fifth in a row locks the account for 15 minutes
  /// (audited too). Answers whether the account is now locked.
  public func recordFailure(id: String, email: String, reason: String, address: String, now: Date) async throws
    -> Bool
  {
    try await database.transaction { c in
      let rows = try await c.query(
        """
        UPDATE staff SET
          failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= \(Self.lockAfter) THEN 0 ELSE failed_sign_ins + 1 END,
          locked_until = CASE WHEN failed_sign_ins + 1 >= \(Self.lockAfter) THEN \(now.addingTimeInterval(Self.lockFor))
                              ELSE locked_until END
        WHERE id = \(id) RETURNING locked_until > \(now)
        """, logger: database.logger
      ).collect()
      let locked = try rows.first?.decode(Bool?.self) ?? false
      var entries = [
        AuditLog.Entry(
          actor: "staff:\(email)", action: "staff.sign_in_failed", subject: "staff:\(email)",
          summary: ["reason": .string(reason), "address": .string(address)])
      ]
      if locked {
        entries.append(
          AuditLog.Entry(
            actor: "feepay", action: "staff.lock", subject: "staff:\(email)",
            summary: ["until": .string(Timestamp.format(now.addingTimeInterval(Self.lockFor)))]))
      }
      try await AuditLog.append(entries, at: now, on: c, logger: database.logger)
      return locked
    }
  }

  /// Records a good sign-in with the code of TOTP `step`, unless that step (or a later one)
  /// was already used, or the account was locked or disabled meanwhile: then `false`, and
  /// nothing changes. The check and the write are one statement, so two sign-ins racing
  /// with one code cannot both pass.
  public func recordSignIn(id: String, step: Int64, address: String, now: Date) async throws -> Bool {
    try await database.transaction { c in
      let rows = try await c.query(
        """
        UPDATE staff SET totp_last_step = \(step), failed_sign_ins = 0, locked_until = NULL
        WHERE id = \(id) AND status = 'active' AND totp_last_step < \(step)
          AND (locked_until IS NULL OR locked_until <= \(now))
        RETURNING email
        """, logger: database.logger
      ).collect()
      guard let email = try rows.first?.decode(String.self) else { return false }
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: "staff:\(email)", action: "staff.sign_in",
        subject: "staff:\(email)", summary: ["address": .string(address)])
      return true
    }
  }

  /// Audits a sign-out.
  public func recordSignOut(email: String, now: Date) async throws {
    try await database.transaction { c in
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: "staff:\(email)", action: "staff.sign_out",
        subject: "staff:\(email)")
    }
  }

  // MARK: Sessions (hummingbird-auth's session storage; the server adapts it)

  public func saveSession(key: String, staffID: String?, value: String, expiresAt: Date, now: Date) async throws {
    try await database.query(
      """
      WITH pruned AS (DELETE FROM staff_sessions WHERE expires_at < \(now) - interval '1 hour')
      INSERT INTO staff_sessions (key, staff_id, value, expires_at)
      VALUES (\(key), \(staffID), \(value)::jsonb, \(expiresAt))
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at,
        staff_id = excluded.staff_id
      """)
  }

  /// The session's value and when it expires, if it has not.
  public func session(key: String, now: Date) async throws -> (value: String, expiresAt: Date)? {
    try await database.query(
      "SELECT value::text, expires_at FROM staff_sessions WHERE key = \(key) AND expires_at > \(now)"
    ).first.map { try $0.decode((String, Date).self) }
  }

  public func removeSession(key: String) async throws {
    try await database.query("DELETE FROM staff_sessions WHERE key = \(key)")
  }
}
