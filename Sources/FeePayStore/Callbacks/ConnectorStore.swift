public import FeePayCore
public import Foundation
import Logging
import PostgresNIO

/// Banks and gateways, and the material that verifies their callbacks. HMAC secrets are
/// stored sealed under the master key; Ed25519 public keys as they are.
public struct ConnectorStore: Sendable {
  let database: Database
  let secrets: SecretBox
  let cache: ExpiringCache<String, Stored>

  /// `cacheLifetime`: how long a connector read for a callback is kept in process (0: not
  /// at all). See ``connector(_:now:cached:)``.
  public init(
    database: Database, secrets: SecretBox, clock: any WallClock = SystemClock(), cacheLifetime: TimeInterval = 0
  ) {
    self.database = database
    self.secrets = secrets
    self.cache = ExpiringCache(clock: clock, lifetime: cacheLifetime)
  }

  static func context(_ code: String) -> String { "connector:\(code):secret" }

  /// What an operator gives `feepay connector add`.
  public struct NewConnector: Sendable {
    public var code: String
    public var kind: ConnectorKind
    public var secret: String?
    public var publicKey: String?
    public var tmnCode: String?
    public var agencies: [String]
    public var statementChannel: StatementChannel

    public init(
      code: String, kind: ConnectorKind, secret: String?, publicKey: String?, tmnCode: String?, agencies: [String],
      statementChannel: StatementChannel = .upload
    ) {
      self.statementChannel = statementChannel
      self.code = code
      self.kind = kind
      self.secret = secret
      self.publicKey = publicKey
      self.tmnCode = tmnCode
      self.agencies = agencies
    }

    /// The first reason this connector cannot be added, or `nil`.
    public var problem: String? {
      if let p = ProvisioningRules.portalCode(code) { return p.replacingOccurrences(of: "portal", with: "connector") }
      switch kind {
      case .standardWebhooks:
        guard let secret, secret.hasPrefix("whsec_"), StandardWebhooks.secretBytes(secret) != nil else {
          return "a standard-webhooks connector needs --secret whsec_<base64 of at least 16 bytes>"
        }
        if publicKey != nil || tmnCode != nil { return "--public-key and --tmn-code do not apply to standard-webhooks" }
      case .standardWebhooksEd25519:
        guard let publicKey, StandardWebhooks.keyBytes(publicKey, prefix: "whpk_") != nil else {
          return "a standard-webhooks-ed25519 connector needs --public-key whpk_<base64 of 32 bytes>"
        }
        if secret != nil || tmnCode != nil {
          return "--secret and --tmn-code do not apply to standard-webhooks-ed25519"
        }
      case .vnpay:
        guard let tmnCode, (1...32).contains(tmnCode.utf8.count), tmnCode.isPrintableASCII else {
          return "a vnpay connector needs --tmn-code"
        }
        guard let secret, (8...256).contains(secret.utf8.count), secret.isPrintableASCII else {
          return "a vnpay connector needs --hash-secret (8-256 printable ASCII characters)"
        }
        if publicKey != nil { return "--public-key does not apply to vnpay" }
      }
      return nil
    }
  }

  public func add(_ new: NewConnector, actor: String, at now: Date) async throws {
    if let problem = new.problem { throw FeePayError(.validationFailed, problem) }
    let sealed = new.secret.map { Data(secrets.seal($0, context: Self.context(new.code))) }
    do {
      try await database.transaction { c in
        if !new.agencies.isEmpty {
          let known = try await c.query(
            "SELECT code FROM agencies WHERE code = ANY(\(new.agencies))", logger: database.logger
          ).collect().map { try $0.decode(String.self) }
          if let unknown = new.agencies.first(where: { !known.contains($0) }) {
            throw FeePayError(.validationFailed, "unknown agency \(unknown)")
          }
        }
        try await c.query(
          """
          INSERT INTO connectors (code, kind, secret_sealed, public_key, tmn_code, statement_channel, created_at)
          VALUES (\(new.code), \(new.kind.rawValue), \(sealed), \(new.publicKey), \(new.tmnCode),
                  \(new.statementChannel.rawValue), \(now))
          """, logger: database.logger)
        try await c.query(
          """
          INSERT INTO connector_agencies (connector_code, agency_code)
          SELECT \(new.code), a FROM unnest(\(Array(Set(new.agencies)))::text[]) AS a
          """, logger: database.logger)
        try await AuditLog.append(
          on: c, logger: database.logger, at: now, actor: actor, action: "connector.add",
          subject: "connector:\(new.code)",
          summary: ["kind": .string(new.kind.rawValue), "agencies": .array(new.agencies.map(JSONValue.string))])
      }
    } catch let error as FeePayError where error.code == .conflict {
      throw FeePayError(.conflict, "connector \(new.code) already exists")
    }
  }

  /// Replaces an HMAC connector's secret (or an Ed25519 connector's public key). The old
  /// one keeps verifying until `graceUntil`, so that a bank can switch without a gap.
  public func rotate(
    code: String, newSecret: String?, newPublicKey: String?, graceUntil: Date, actor: String, at now: Date
  )
    async throws
  {
    try await database.transaction { c in
      let rows = try await c.query(
        "SELECT kind, secret_sealed, public_key FROM connectors WHERE code = \(code) FOR UPDATE",
        logger: database.logger
      ).collect()
      guard let row = rows.first else { throw FeePayError(.notFound, "no connector \(code)") }
      let (kindText, sealed, publicKey) = try row.decode((String, Data?, String?).self)
      let kind = try ConnectorKind.stored(kindText, column: "connectors.kind")
      let check = NewConnector(
        code: code, kind: kind, secret: kind == .standardWebhooksEd25519 ? nil : newSecret,
        publicKey: kind == .standardWebhooksEd25519 ? newPublicKey : nil,
        tmnCode: kind == .vnpay ? "rotate" : nil, agencies: [])
      if let problem = check.problem { throw FeePayError(.validationFailed, problem) }
      if kind == .standardWebhooksEd25519 {
        try await c.query(
          """
          UPDATE connectors SET previous_public_key = \(publicKey), public_key = \(newPublicKey),
                 previous_valid_until = \(graceUntil) WHERE code = \(code)
          """, logger: database.logger)
      } else {
        let newSealed = Data(secrets.seal(newSecret ?? "", context: Self.context(code)))
        try await c.query(
          """
          UPDATE connectors SET previous_secret_sealed = \(sealed), secret_sealed = \(newSealed),
                 previous_valid_until = \(graceUntil) WHERE code = \(code)
          """, logger: database.logger)
      }
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: actor, action: "connector.rotate", subject: "connector:\(code)",
        summary: ["previous_valid_until": .string(Timestamp.format(graceUntil))])
    }
  }

  /// Turns the recovery of lost callbacks from statements on or off for a connector. On is
  /// refused unless its statements arrive through the bank's signed channel: an uploaded
  /// file alone never pays an invoice.
  public func setAutoRecovery(code: String, enabled: Bool, actor: String, at now: Date) async throws {
    try await database.transaction { c in
      let rows = try await c.query(
        "SELECT statement_channel FROM connectors WHERE code = \(code) FOR UPDATE", logger: database.logger
      ).collect()
      guard let channel = try rows.first?.decode(String.self) else {
        throw FeePayError(.notFound, "no connector \(code)")
      }
      if enabled, channel != StatementChannel.signed.rawValue {
        throw FeePayError(
          .validationFailed,
          "connector \(code)'s statements are uploaded by people; auto-recovery needs the bank's signed channel (feepay connector set-statement-channel --code \(code) signed)"
        )
      }
      try await c.query(
        "UPDATE connectors SET auto_recovery = \(enabled) WHERE code = \(code)", logger: database.logger)
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: actor, action: "connector.set_auto_recovery",
        subject: "connector:\(code)", summary: ["enabled": .bool(enabled)])
    }
  }

  /// Declares how a connector's statements arrive. Back to `upload` also turns its
  /// auto-recovery off.
  public func setStatementChannel(code: String, channel: StatementChannel, actor: String, at now: Date) async throws {
    try await database.transaction { c in
      let rows = try await c.query(
        """
        UPDATE connectors SET statement_channel = \(channel.rawValue),
                              auto_recovery = auto_recovery AND \(channel == .signed)
        WHERE code = \(code) RETURNING 1
        """, logger: database.logger
      ).collect()
      guard !rows.isEmpty else { throw FeePayError(.notFound, "no connector \(code)") }
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: actor, action: "connector.set_statement_channel",
        subject: "connector:\(code)", summary: ["channel": .string(channel.rawValue)])
    }
  }

  /// A connector as stored, its secrets opened; the grace period is judged when it is used.
  struct Stored: Sendable {
    var kind: ConnectorKind
    var secret: String?
    var previousSecret: String?
    var publicKey: String?
    var previousPublicKey: String?
    var previousValidUntil: Date?
    var tmnCode: String?
    var agencies: Set<String>

    func connector(_ code: String, now: Date) -> Connector {
      let inGrace = previousValidUntil.map { now < $0 } ?? false
      return Connector(
        code: code, kind: kind, secrets: [secret, inGrace ? previousSecret : nil].compactMap { $0 },
        publicKeys: [publicKey, inGrace ? previousPublicKey : nil].compactMap { $0 }, tmnCode: tmnCode,
        agencies: agencies)
    }
  }

  /// The connector with its secrets opened, or `nil`. A previous secret is included only
  /// while its grace period lasts. With `cached`, a connector read in the last few seconds
  /// will do: callers that verify signatures read it again (`cached: false`) before they
  /// refuse one, so a new secret works at once and a replaced one at most a cache lifetime
  /// longer than it was meant to.
  public func connector(_ code: String, now: Date, cached: Bool = false) async throws -> Connector? {
    if cached, let stored = cache[code] { return stored.connector(code, now: now) }
    let rows = try await database.query(
      """
      SELECT c.kind, c.secret_sealed, c.previous_secret_sealed, c.public_key, c.previous_public_key,
             c.previous_valid_until, c.tmn_code,
             coalesce(array_agg(ca.agency_code) FILTER (WHERE ca.agency_code IS NOT NULL), '{}')
      FROM connectors c LEFT JOIN connector_agencies ca ON ca.connector_code = c.code
      WHERE c.code = \(code) GROUP BY c.code
      """)
    guard let row = rows.first else {
      cache.remove(code)
      return nil
    }
    let (kind, sealed, previousSealed, publicKey, previousKey, validUntil, tmn, agencies) = try row.decode(
      (String, Data?, Data?, String?, String?, Date?, String?, [String]).self)
    let stored = Stored(
      kind: try .stored(kind, column: "connectors.kind"),
      secret: try sealed.map { try secrets.open(Array($0), context: Self.context(code)) },
      previousSecret: try previousSealed.map { try secrets.open(Array($0), context: Self.context(code)) },
      publicKey: publicKey, previousPublicKey: previousKey, previousValidUntil: validUntil, tmnCode: tmn,
      agencies: Set(agencies))
    cache.store(stored, for: code)
    return stored.connector(code, now: now)
  }

  /// The code of the VNPay connector that collects for `agency` (the first by code), if any:
  /// the citizen page offers "Pay with VNPay" through it. Reads no secret.
  public func vnpayConnectorCode(for agency: String) async throws -> String? {
    let rows = try await database.query(
      """
      SELECT c.code FROM connectors c
      WHERE c.kind = \(ConnectorKind.vnpay.rawValue)
        AND (NOT EXISTS (SELECT 1 FROM connector_agencies ca WHERE ca.connector_code = c.code)
             OR EXISTS (SELECT 1 FROM connector_agencies ca WHERE ca.connector_code = c.code AND ca.agency_code = \(agency)))
      ORDER BY c.code LIMIT 1
      """)
    return try rows.first?.decode(String.self)
  }

  /// Connectors as `feepay connector list` shows them (no secrets).
  public struct Summary: Sendable {
    public var code: String
    public var kind: String
    public var agencies: [String]
    public var previousValidUntil: Date?
    public var statementChannel: StatementChannel
    public var autoRecovery: Bool
  }

  public func list() async throws -> [Summary] {
    let rows = try await database.query(
      """
      SELECT c.code, c.kind, c.previous_valid_until, c.statement_channel, c.auto_recovery,
             coalesce(array_agg(ca.agency_code ORDER BY ca.agency_code) FILTER (WHERE ca.agency_code IS NOT NULL), '{}')
      FROM connectors c LEFT JOIN connector_agencies ca ON ca.connector_code = c.code
      GROUP BY c.code ORDER BY c.code
      """)
    return try rows.map {
      let (code, kind, until, channel, autoRecovery, agencies) = try $0.decode(
        (String, String, Date?, String, Bool, [String]).self)
      return Summary(
        code: code, kind: kind, agencies: agencies, previousValidUntil: until,
        statementChannel: try .stored(channel, column: "connectors.statement_channel"), autoRecovery: autoRecovery)
    }
  }
}
