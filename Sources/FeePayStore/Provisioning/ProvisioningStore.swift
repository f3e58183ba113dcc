public import FeePayCore
public import Foundation
import Logging
import PostgresNIO

/// Agencies, portals and API keys: what operators set up with the `feepay` command and what
/// every request is authenticated against.
public struct ProvisioningStore: Sendable {
  let database: Database
  let ids: IDGenerator

  public init(database: Database, ids: IDGenerator) {
    self.database = database
    self.ids = ids
  }

  public func addAgency(_ agency: Agency, actor: String, at now: Date) async throws {
    if let problem = agency.problems.first { throw FeePayError(.validationFailed, problem) }
    do {
      try await database.transaction { c in
        try await c.query(
          """
          INSERT INTO agencies (code, name, tax_code, bank_bin, account_number, account_name,
                                receipt_template, receipt_series, address, phone, created_at)
          VALUES (\(agency.code), \(agency.name.nfc), \(agency.taxCode), \(agency.bankBIN), \(agency.accountNumber),
                  \(agency.accountName), \(agency.receiptTemplate), \(agency.receiptSeries), \(agency.address?.nfc),
                  \(agency.phone), \(now))
          """, logger: database.logger)
        try await AuditLog.append(
          on: c, logger: database.logger, at: now, actor: actor, action: "agency.add", subject: "agency:\(agency.code)",
          summary: ["name": .string(agency.name.nfc), "account_number": .string(agency.accountNumber)])
      }
    } catch let error as FeePayError where error.code == .conflict {
      throw FeePayError(.conflict, "agency \(agency.code) already exists")
    }
  }

  /// Sets the address and/or telephone an agency's receipts print from now on (receipts
  /// already issued keep what they were signed with).
  public func setContact(agency: String, address: String?, phone: String?, actor: String, at now: Date)
    async throws
  {
    if let problem = address.flatMap(ProvisioningRules.address) ?? phone.flatMap(ProvisioningRules.phone) {
      throw FeePayError(.validationFailed, problem)
    }
    try await database.transaction { c in
      let rows = try await c.query(
        """
        UPDATE agencies SET address = coalesce(\(address), address), phone = coalesce(\(phone), phone)
        WHERE code = \(agency) RETURNING code
        """, logger: database.logger)
      guard try await rows.collect().count == 1 else { throw FeePayError(.notFound, "agency \(agency) does not exist") }
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: actor, action: "agency.set_contact",
        subject: "agency:\(agency)",
        summary: ["address": address.map(JSONValue.string) ?? .null, "phone": phone.map(JSONValue.string) ?? .null])
    }
  }

  public func agency(code: String) async throws -> Agency? {
    try await agencies().first { $0.code == code }
  }

  public func agencies() async throws -> [Agency] {
    let rows = try await database.query(
      """
      SELECT code, name, tax_code, bank_bin, account_number, account_name, receipt_template, receipt_series,
             address, phone
      FROM agencies ORDER BY code
      """)
    return try rows.map { row in
      let (code, name, tax, bin, account, accountName, template, series, address, phone) = try row.decode(
        (String, String, String, String, String, String, String, String, String?, String?).self)
      return Agency(
        code: code, name: name, taxCode: tax, bankBIN: bin, accountNumber: account, accountName: accountName,
        receiptTemplate: template, receiptSeries: series, address: address, phone: phone)
    }
  }

  /// Replaces the hosts a portal may send citizens back to after VNPay (lowercased), audited.
  public func setReturnHosts(portal: String, hosts: [String], actor: String, at now: Date) async throws {
    let hosts = Array(Set(hosts.map { $0.lowercased() })).sorted()
    if let problem = hosts.lazy.compactMap(OutboundURL.hostNameRefusal).first {
      throw FeePayError(.validationFailed, problem)
    }
    try await database.transaction { c in
      let updated = try await c.query(
        "UPDATE portals SET return_hosts = \(hosts) WHERE code = \(portal) RETURNING 1", logger: database.logger
      ).collect()
      guard !updated.isEmpty else { throw FeePayError(.notFound, "No portal \(portal).") }
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: actor, action: "portal.set_return_hosts",
        subject: "portal:\(portal)", summary: ["hosts": .array(hosts.map(JSONValue.string))])
    }
  }

  /// The hosts a portal may send citizens back to after VNPay.
  public func returnHosts(portal: String) async throws -> [String] {
    try await database.query("SELECT return_hosts FROM portals WHERE code = \(portal)").first?.decode(
      [String].self) ?? []
  }

  /// Adds a portal allowed to bill for `agencies`; answers its new webhook secret, which is
  /// stored only sealed under the master key. The webhook URL must be https unless
  /// `allowPrivateWebhooks` (where it resolves to is the caller's check, and every send's).
  public func addPortal(
    code: String, name: String, agencies: [String], webhookURL: String?, allowPrivateWebhooks: Bool = false,
    secrets: SecretBox, actor: String, at now: Date
  ) async throws -> String {
    if let problem = ProvisioningRules.portalCode(code) ?? ProvisioningRules.name(name)
      ?? webhookURL.flatMap({ OutboundURL.webhookRefusal($0, allowPrivate: allowPrivateWebhooks) })
    {
      throw FeePayError(.validationFailed, problem)
    }
    guard !agencies.isEmpty else { throw FeePayError(.validationFailed, "a portal must bill for at least one agency") }
    let secret = WebhookSecret.generate()
    let sealed = Data(secrets.seal(secret, context: "portal:\(code):webhook"))
    do {
      try await database.transaction { c in
        let known = try await c.query(
          "SELECT code FROM agencies WHERE code = ANY(\(agencies))", logger: database.logger
        )
        .collect().map { try $0.decode(String.self) }
        if let unknown = agencies.first(where: { !known.contains($0) }) {
          throw FeePayError(.validationFailed, "unknown agency \(unknown); add it with 'feepay agency add' first")
        }
        try await c.query(
          """
          INSERT INTO portals (code, name, webhook_url, webhook_secret_sealed, created_at)
          VALUES (\(code), \(name.nfc), \(webhookURL), \(sealed), \(now))
          """, logger: database.logger)
        try await c.query(
          """
          INSERT INTO portal_agencies (portal_code, agency_code)
          SELECT \(code), a FROM unnest(\(Array(Set(agencies)))::text[]) AS a
          """, logger: database.logger)
        try await AuditLog.append(
          on: c, logger: database.logger, at: now, actor: actor, action: "portal.add", subject: "portal:\(code)",
          summary: [
            "agencies": .array(agencies.map(JSONValue.string)),
            "webhook_url": webhookURL.map(JSONValue.string) ?? .null,
          ])
      }
    } catch let error as FeePayError where error.code == .conflict {
      throw FeePayError(.conflict, "portal \(code) already exists")
    }
    return secret
  }

  /// Creates an API key for a portal (role `portal`) or for a person's role; answers the
  /// key, which is shown once and stored only as its SHA-256.
  public func createKey(role: Role, portalCode: String?, label: String?, actor: String, at now: Date) async throws
    -> NewAPIKey
  {
    guard (role == .portal) == (portalCode != nil) else {
      throw FeePayError(.validationFailed, "a key is either for a portal (--portal) or for a role (--role), not both")
    }
    let key = NewAPIKey.generate()
    let id = ids.make(.apiKey)
    try await database.transaction { c in
      if let portalCode {
        let rows = try await c.query("SELECT 1 FROM portals WHERE code = \(portalCode)", logger: database.logger)
          .collect()
        if rows.isEmpty { throw FeePayError(.notFound, "no portal \(portalCode)") }
      }
      try await c.query(
        """
        INSERT INTO api_keys (id, prefix, key_hash, role, portal_code, label, created_at)
        VALUES (\(id), \(key.prefix), \(Data(key.hash)), \(role.rawValue), \(portalCode), \(label?.nfc), \(now))
        """, logger: database.logger)
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: actor, action: "key.create", subject: "key:\(key.prefix)",
        summary: ["role": .string(role.rawValue), "portal": portalCode.map(JSONValue.string) ?? .null])
    }
    return key
  }

  /// Revokes a key given whole or by the prefix `feepay key list` shows. Answers the prefix.
  public func revokeKey(_ keyOrPrefix: String, actor: String, at now: Date) async throws -> String {
    let byHash = NewAPIKey.lookupPrefix(of: keyOrPrefix) != nil
    let hash = Data(NewAPIKey.sha256(keyOrPrefix))
    return try await database.transaction { c in
      let rows =
        try await
        (byHash
        ? c.query(
          "SELECT id, prefix, revoked_at FROM api_keys WHERE key_hash = \(hash) FOR UPDATE", logger: database.logger)
        : c.query(
          "SELECT id, prefix, revoked_at FROM api_keys WHERE prefix = \(keyOrPrefix) FOR UPDATE",
          logger: database.logger))
        .collect()
      guard !rows.isEmpty else {
        throw FeePayError(.notFound, "no API key matches \(byHash ? "that key" : keyOrPrefix)")
      }
      guard rows.count == 1 else {
        throw FeePayError(.conflict, "several keys share the prefix \(keyOrPrefix); give the whole key")
      }
      let (id, prefix, revokedAt) = try rows[0].decode((String, String, Date?).self)
      if revokedAt != nil { throw FeePayError(.conflict, "key \(prefix) is already revoked") }
      try await c.query("UPDATE api_keys SET revoked_at = \(now) WHERE id = \(id)", logger: database.logger)
      try await AuditLog.append(
        on: c, logger: database.logger, at: now, actor: actor, action: "key.revoke", subject: "key:\(prefix)")
      return prefix
    }
  }

  /// A key as `feepay key list` shows it (never the key itself).
  public struct KeyInfo: Sendable {
    public var prefix: String
    public var role: Role
    public var portalCode: String?
    public var label: String?
    public var createdAt: Date
    public var revokedAt: Date?
  }

  public func listKeys(portalCode: String?) async throws -> [KeyInfo] {
    let rows = try await database.query(
      """
      SELECT prefix, role, portal_code, label, created_at, revoked_at FROM api_keys
      WHERE \(portalCode)::text IS NULL OR portal_code = \(portalCode)
      ORDER BY created_at, id
      """)
    return try rows.map { row in
      let (prefix, role, portal, label, created, revoked) = try row.decode(
        (String, String, String?, String?, Date, Date?).self)
      return KeyInfo(
        prefix: prefix, role: try .stored(role, column: "api_keys.role"), portalCode: portal, label: label,
        createdAt: created,
        revokedAt: revoked)
    }
  }

  /// The principal for a presented key, or `nil` if the key is unknown or revoked. Looks up
  /// by prefix and compares the SHA-256 in constant time.
  public func authenticate(_ presented: String) async throws -> Principal? {
    guard let prefix = NewAPIKey.lookupPrefix(of: presented) else { return nil }
    let hash = NewAPIKey.sha256(presented)
    let rows = try await database.query(
      """
      SELECT k.id, k.key_hash, k.role, k.portal_code, k.revoked_at IS NOT NULL,
             coalesce(array_agg(pa.agency_code) FILTER (WHERE pa.agency_code IS NOT NULL), '{}')
      FROM api_keys k LEFT JOIN portal_agencies pa ON pa.portal_code = k.portal_code
      WHERE k.prefix = \(prefix)
      GROUP BY k.id
      """)
    for row in rows {
      let (id, storedHash, role, portal, revoked, agencies) = try row.decode(
        (String, Data, String, String?, Bool, [String]).self)
      guard constantTimeEquals(storedHash, hash) else { continue }
      guard !revoked else { return nil }
      return Principal(
        keyID: id, keyPrefix: prefix, role: try .stored(role, column: "api_keys.role"), portalCode: portal,
        agencies: Set(agencies))
    }
    return nil
  }
}
