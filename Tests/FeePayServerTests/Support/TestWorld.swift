import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO

/// What one test sets up for itself in the shared database: two agencies, a portal that
/// may bill for the first, a second portal, and keys for each role.
struct TestWorld: Sendable {
  let database: Database
  let clock: ManualClock
  let secrets: SecretBox
  let agency: String
  let otherAgency: String
  let portal: String
  let otherPortal: String
  let portalKey: String
  let otherPortalKey: String
  let accountantKey: String
  /// A second accountant: four eyes need two people (`FEEPAY_FOUR_EYES_ABOVE`).
  let approverKey: String
  let auditorKey: String

  static func seed(database: Database, clock: ManualClock, secrets: SecretBox? = nil) async throws -> TestWorld {
    let store = ProvisioningStore(database: database, ids: IDGenerator(clock: clock))
    let tag = String(UInt64.random(in: 0...UInt64.max), radix: 36).uppercased()
    let secrets = try secrets ?? SecretBox(base64: SecretBox.generateMasterKey())
    let now = clock.now
    let agency = "AG-\(tag)"
    let otherAgency = "OA-\(tag)"
    for code in [agency, otherAgency] {
      try await store.addAgency(
        Agency(
          code: code, name: "Sở Tư pháp \(code)", taxCode: "0301234567", bankBIN: "970436",
          accountNumber: "0071000123456", accountName: "SO TU PHAP TPHCM", receiptTemplate: "EBL01",
          receiptSeries: "26T", address: "141 Pasteur, phường Xuân Hòa, TP. Hồ Chí Minh", phone: "028 3829 0230"),
        actor: "test", at: now)
    }
    let portal = "p-\(tag.lowercased())"
    let otherPortal = "q-\(tag.lowercased())"
    _ = try await store.addPortal(
      code: portal, name: "Cổng DVC", agencies: [agency], webhookURL: nil, secrets: secrets,
      actor: "test", at: now)
    _ = try await store.addPortal(
      code: otherPortal, name: "Other portal", agencies: [agency, otherAgency], webhookURL: nil, secrets: secrets,
      actor: "test", at: now)
    return TestWorld(
      database: database, clock: clock, secrets: secrets, agency: agency, otherAgency: otherAgency, portal: portal,
      otherPortal: otherPortal,
      portalKey: try await store.createKey(role: .portal, portalCode: portal, label: nil, actor: "test", at: now)
        .secret,
      otherPortalKey: try await store.createKey(
        role: .portal, portalCode: otherPortal, label: nil, actor: "test", at: now
      )
      .secret,
      accountantKey: try await store.createKey(role: .accountant, portalCode: nil, label: nil, actor: "test", at: now)
        .secret,
      approverKey: try await store.createKey(role: .accountant, portalCode: nil, label: nil, actor: "test", at: now)
        .secret,
      auditorKey: try await store.createKey(role: .auditor, portalCode: nil, label: nil, actor: "test", at: now).secret)
  }

  /// A valid invoice body for this world's agency, with edits.
  func invoiceBody(
    dossier: String = "000.00.12.H29-261129-0001", _ edit: (inout [String: JSONValue]) -> Void = { _ in }
  )
    -> JSONValue
  {
    var body: [String: JSONValue] = [
      "agency_code": .string(agency), "dossier_code": .string(dossier), "procedure_code": "1.001234",
      "payer": ["name": "Nguyễn Văn An", "id_number": "079123456789", "email": "an@example.vn", "phone": "0901234567"],
      "lines": [
        [
          "fee_code": "LPHT-01", "description": "Lệ phí cấp bản sao trích lục hộ tịch", "quantity": 2,
          "unit_amount": 8000,
        ]
      ],
      "currency": "VND",
      "metadata": ["portal_ref": "A-77"],
    ]
    edit(&body)
    return .object(body)
  }

  /// An account's debits minus its credits in the ledger.
  func balance(_ account: String) async throws -> Int {
    try await scalar(
      "SELECT coalesce(sum(debit) - sum(credit), 0)::int FROM ledger_postings WHERE account_code = \(account)")
  }

  /// The single integer a query answers.
  func scalar(_ query: PostgresQuery) async throws -> Int {
    try await database.query(query).first?.decode(Int.self) ?? 0
  }
}

/// Builds the application against the shared (or an isolated) test database (no maintenance service, no
/// migrations at start: the environment migrated once), seeds a ``TestWorld``, and runs
/// `test` with a HummingbirdTesting client.
func withFeePay(
  _ kind: TestingSetup = .router,
  isolated: Bool = false,
  configure: (inout AppConfiguration) -> Void = { _ in },
  _ test: @escaping @Sendable (TestWorld, any TestClientProtocol) async throws -> Void
) async throws {
  // Tests that sweep the whole database (expiry, pruning) with a clock of their own get a
  // database of their own, so they do not touch other tests' rows.
  let configuration =
    isolated ? try await TestEnvironment.shared.migratedDatabase() : try await TestEnvironment.shared.sharedDatabase()
  let clock = ManualClock(Date())
  // Bursts of 50 share these 4 connections on a loaded machine: the lease bound (tested on
  // served processes, with the production default) is loosened here.
  let database = Database(
    configuration: configuration, poolSize: 4, leaseTimeout: .seconds(120), logger: TestEnvironment.logger)
  var appConfiguration = AppConfiguration()
  appConfiguration.maintenanceInterval = nil
  appConfiguration.webhooks = nil
  appConfiguration.receiptInterval = nil
  appConfiguration.auditSealInterval = nil
  appConfiguration.migrateOnStart = false
  appConfiguration.publicBaseURL = "https://pay.example.vn"
  appConfiguration.port = 0
  configure(&appConfiguration)
  let secrets = try SecretBox(base64: SecretBox.generateMasterKey())
  let app = buildApplication(
    configuration: appConfiguration, database: database,
    migrator: try Migrator(directory: TestEnvironment.migrationsDirectory), secrets: secrets, clock: clock,
    logger: TestEnvironment.logger)
  try await app.test(kind) { client in
    let world = try await TestWorld.seed(database: database, clock: clock, secrets: secrets)
    try await test(world, client)
  }
}

extension TestClientProtocol {
  /// Sends a request with an optional bearer key and JSON body, and answers the response.
  @discardableResult
  func send(
    _ method: HTTPRequest.Method, _ uri: String, key: String? = nil, json: JSONValue? = nil, raw: [UInt8]? = nil,
    headers extra: [String: String] = [:]
  ) async throws -> TestResponse {
    var headers = HTTPFields()
    if let key { headers[.authorization] = "Bearer \(key)" }
    if json != nil || raw != nil { headers[.contentType] = "application/json" }
    for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
    let bytes = raw ?? json.map { Array($0.jsonText.utf8) }
    return try await execute(
      uri: uri, method: method, headers: headers, body: bytes.map { ByteBuffer(bytes: $0) }
    ) { $0 }
  }

  /// Resolves an exception as two accountants do: the world's accountant proposes; when the
  /// proposal waits for a second person (202), the world's approver approves it. Answers the
  /// approval, or the proposal's own answer when it was refused or took effect at once.
  @discardableResult
  func resolve(_ id: String, _ body: JSONValue, world: TestWorld) async throws -> TestResponse {
    let proposed = try await send(.post, "/v1/exceptions/\(id)/resolve", key: world.accountantKey, json: body)
    guard proposed.status == .accepted else { return proposed }
    return try await send(.post, "/v1/exceptions/\(id)/approve", key: world.approverKey)
  }

  /// POST /v1/invoices with a fresh idempotency key unless one is given.
  @discardableResult
  func createInvoice(_ body: JSONValue, key: String, idempotencyKey: String = UUID().uuidString) async throws
    -> TestResponse
  {
    try await send(.post, "/v1/invoices", key: key, json: body, headers: ["Idempotency-Key": idempotencyKey])
  }
}

extension TestResponse {
  var json: JSONValue { (try? JSONValue.parse(Array(body.readableBytesView))) ?? .null }
  var bytes: [UInt8] { Array(body.readableBytesView) }
  var problemCode: String? { json["code"]?.stringValue }
}
