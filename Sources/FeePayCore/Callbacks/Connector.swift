/// The kinds of bank or gateway FeePay takes callbacks from (docs/design/protocols.md §1).
public enum ConnectorKind: String, Sendable, Codable, CaseIterable {
  case standardWebhooks = "standard-webhooks"
  case standardWebhooksEd25519 = "standard-webhooks-ed25519"
  case vnpay
}

/// A connector with its verification material opened (never logged, never serialized).
public struct Connector: Sendable {
  public var code: String
  public var kind: ConnectorKind
  /// HMAC secrets (`whsec_…` or VNPay's hash secret): the current first, then a previous
  /// one still inside its grace period.
  public var secrets: [String]
  /// Ed25519 public keys (`whpk_…`), current first.
  public var publicKeys: [String]
  public var tmnCode: String?
  /// Agencies whose money this connector may collect; empty means all.
  public var agencies: Set<String>

  public init(
    code: String, kind: ConnectorKind, secrets: [String], publicKeys: [String], tmnCode: String?, agencies: Set<String>
  ) {
    self.code = code
    self.kind = kind
    self.secrets = secrets
    self.publicKeys = publicKeys
    self.tmnCode = tmnCode
    self.agencies = agencies
  }

  public func mayCollect(for agency: String) -> Bool { agencies.isEmpty || agencies.contains(agency) }
}

/// How a connector's statements reach FeePay, as the operator declares it.
public enum StatementChannel: String, Sendable, CaseIterable {
  /// A person uploads the file (console, API or `feepay reconcile`): only their word vouches
  /// for it, so a line naming an invoice waits for a second person's approval.
  case upload
  /// The bank's authenticated channel (host-to-host, signed files fetched by a machine
  /// holding its own API key): with auto-recovery on, a line naming an open invoice with
  /// exactly its amount pays it, as the lost callback would have.
  case signed
}
