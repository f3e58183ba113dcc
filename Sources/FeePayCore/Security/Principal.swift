/// Who is calling: the API key that authenticated a request, its role and, for a portal
/// key, the portal and the agencies it may bill for.
public struct Principal: Sendable, Hashable {
  public var keyID: String
  public var keyPrefix: String
  public var role: Role
  public var portalCode: String?
  public var agencies: Set<String>

  /// The person signed in to the console (their email), when the caller is a person rather
  /// than an API key.
  public var person: String?

  public init(
    keyID: String, keyPrefix: String, role: Role, portalCode: String?, agencies: Set<String>, person: String? = nil
  ) {
    self.keyID = keyID
    self.keyPrefix = keyPrefix
    self.role = role
    self.portalCode = portalCode
    self.agencies = agencies
    self.person = person
  }

  /// How the audit log names this caller: the person (`staff:<email>`) or the key.
  public var actor: String { person.map { "staff:\($0)" } ?? "key:\(keyPrefix)" }

  /// Whether the caller may read objects across all portals.
  public var readsEverything: Bool { role == .accountant || role == .auditor || role == .admin }
}

/// An agency (cơ quan thu): who collects the fee and into which account.
public struct Agency: Sendable, Hashable {
  public var code: String
  public var name: String
  public var taxCode: String
  public var bankBIN: String
  public var accountNumber: String
  public var accountName: String
  public var receiptTemplate: String
  public var receiptSeries: String
  /// Printed on receipts (Circular 32/2025/TT-BTC, sample 6) when known.
  public var address: String?
  public var phone: String?

  public init(
    code: String, name: String, taxCode: String, bankBIN: String, accountNumber: String, accountName: String,
    receiptTemplate: String, receiptSeries: String, address: String? = nil, phone: String? = nil
  ) {
    self.code = code
    self.name = name
    self.taxCode = taxCode
    self.bankBIN = bankBIN
    self.accountNumber = accountNumber
    self.accountName = accountName
    self.receiptTemplate = receiptTemplate
    self.receiptSeries = receiptSeries
    self.address = address
    self.phone = phone
  }

  /// Reasons this agency's fields are unacceptable (empty when it is fine).
  public var problems: [String] {
    [
      ProvisioningRules.agencyCode(code), ProvisioningRules.name(name), ProvisioningRules.taxCode(taxCode),
      ProvisioningRules.bankBIN(bankBIN), ProvisioningRules.accountNumber(accountNumber),
      ProvisioningRules.accountName(accountName), ProvisioningRules.receiptTemplate(receiptTemplate),
      ProvisioningRules.receiptSeries(receiptSeries), address.flatMap(ProvisioningRules.address),
      phone.flatMap(ProvisioningRules.phone),
    ].compactMap { $0 }
  }
}
