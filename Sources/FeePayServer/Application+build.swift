public import FeePayCore
public import FeePayStore
public import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdAuth
public import Logging
import NIOCore
import ServiceLifecycle

/// Everything `buildApplication` needs to know, with production defaults.
public struct AppConfiguration: Sendable {
  public var host = "127.0.0.1"
  public var port = 8080
  /// Base of the links FeePay hands citizens (`payment_url`, receipt pages).
  public var publicBaseURL = "http://127.0.0.1:8080"
  public var invoiceRules = InvoiceRules()
  public var paymentCodePrefix = "FP"
  /// How often expiry and pruning run; `nil` turns the maintenance service off (tests that
  /// share a database and move their own clocks).
  public var maintenanceInterval: Duration? = .seconds(30)
  /// Apply migrations before serving.
  public var migrateOnStart = true
  public var readinessTimeout: Duration = .seconds(2)
  /// How often the receipt issuer looks for paid invoices; `nil` turns it off (tests issue
  /// by hand).
  public var receiptInterval: Duration? = .seconds(1)
  /// How often the audit log is sealed into its hash chain (and closed days anchored);
  /// `nil` turns the sealer off (tests seal by hand).
  public var auditSealInterval: Duration? = .seconds(1)
  /// The largest settlement file accepted (default 512 MiB).
  public var maxStatementBytes = 512 << 20
  /// Where uploads and the rows loaded from them are kept while they are worked on
  /// (`FEEPAY_SPOOL_DIR`; `serve` defaults to `FEEPAY_DATA_DIR/tmp`).
  public var spoolDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("feepay-spool")
  /// Statement uploads one instance works on at once (API and console together); more are
  /// answered 429 with `Retry-After`.
  public var maxConcurrentUploads = 4
  /// Resolutions moving more than this many minor units out of suspense (`apply_to_invoice`,
  /// `refund`, `write_off`) are proposed by one person and approved by a second; 0 = all.
  public var fourEyesAbove: Int64 = 0
  /// Webhook delivery to portals; `nil` turns the dispatcher off (tests drive it by hand).
  public var webhooks: WebhookSettings? = WebhookSettings()
  /// VNPay's payment page (sandbox by default; production is https://pay.vnpay.vn/vpcpay.html).
  public var vnpayGateway = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
  /// How long API keys' principals, connectors' secrets and agencies' bank accounts are kept
  /// in process (seconds of the injected clock; 0 turns the caches off). See the README's
  /// "Performance" section for what each cache may serve stale, and why that is safe.
  public var cacheLifetime: TimeInterval = 5
  /// Lookups of citizen pages (`/pay/…`, `/receipts/…`) one client address may make per
  /// minute on one instance; more are answered 429 with `Retry-After`.
  public var pageRequestsPerMinute = 120
  /// Addresses of the reverse proxies in front of FeePay (load balancers): from their
  /// connections, the citizen's address is taken from `X-Forwarded-For`.
  public var trustedProxies: Set<String> = []
  /// `Strict-Transport-Security` for console pages (e.g. `max-age=31536000`), when FeePay
  /// is served over https; `nil` sends none.
  public var strictTransportSecurity: String?
  /// bcrypt's cost for console passwords (2^cost rounds).
  public var bcryptCost: UInt8 = 12

  public init() {}
}

/// The stores and caches a FeePay process shares between its routes and its background
/// services, made once from the configuration.
struct AppComponents: Sendable {
  let configuration: AppConfiguration
  let database: Database
  let migrator: Migrator
  let clock: any WallClock
  let metrics: AppMetrics
  let ids: IDGenerator
  let presenter: InvoicePresenter
  let invoices: InvoiceStore
  let provisioning: ProvisioningStore
  let authenticator: Authenticator
  let connectors: ConnectorStore
  let payments: PaymentStore
  let receipts: ReceiptStore
  let settlements: SettlementStore
  let webhooks: WebhookStore
  let ledger: LedgerStore
  /// One count of citizen-page lookups per address, shared by `/pay/…` and `/receipts/…`.
  let pageLimit: PageRateLimit
  let clients: ClientAddress
  let staff: StaffStore
  let overview: OverviewStore
  let spool: Spool
  let auditChain: AuditChainStore
  let uploads: UploadGate

  init(
    configuration: AppConfiguration, database: Database, migrator: Migrator, secrets: SecretBox, clock: any WallClock,
    metrics: AppMetrics
  ) {
    self.configuration = configuration
    self.database = database
    self.migrator = migrator
    self.clock = clock
    self.metrics = metrics
    let ids = IDGenerator(clock: clock)
    let presenter = InvoicePresenter(publicBaseURL: configuration.publicBaseURL)
    self.ids = ids
    self.presenter = presenter
    self.invoices = InvoiceStore(
      database: database, ids: ids, presenter: presenter, paymentCodePrefix: configuration.paymentCodePrefix,
      clock: clock, cacheLifetime: configuration.cacheLifetime)
    self.provisioning = ProvisioningStore(database: database, ids: ids)
    self.authenticator = Authenticator(
      provisioning: provisioning, clock: clock, cacheLifetime: configuration.cacheLifetime)
    self.connectors = ConnectorStore(
      database: database, secrets: secrets, clock: clock, cacheLifetime: configuration.cacheLifetime)
    self.payments = PaymentStore(
      database: database, ids: ids, presenter: presenter, paymentCodePrefix: configuration.paymentCodePrefix)
    self.receipts = ReceiptStore(
      database: database, secrets: secrets, ids: ids, publicBaseURL: configuration.publicBaseURL)
    self.settlements = SettlementStore(
      database: database, ids: ids, presenter: presenter, fourEyes: FourEyes(above: configuration.fourEyesAbove))
    self.webhooks = WebhookStore(database: database, secrets: secrets)
    self.ledger = LedgerStore(database: database, ids: ids)
    self.pageLimit = PageRateLimit(limit: configuration.pageRequestsPerMinute, clock: clock)
    self.clients = ClientAddress(trustedProxies: configuration.trustedProxies)
    self.staff = StaffStore(database: database, ids: ids, secrets: secrets)
    self.overview = OverviewStore(database: database)
    self.spool = Spool(directory: configuration.spoolDirectory)
    self.auditChain = AuditChainStore(database: database, receipts: receipts)
    self.uploads = UploadGate(limit: configuration.maxConcurrentUploads)
  }
}

/// FeePay's router: the request middleware (request ids, logs, problem documents), every
/// route (``addRoutes(_:to:)``), and `405` for undeclared methods of known paths.
func buildRouter(_ c: AppComponents) -> Router<AppRequestContext> {
  let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
  router.add(middleware: RequestMiddleware())
  addRoutes(c, to: router)
  MethodNotAllowed.answerUndeclaredMethods(of: router)
  return router
}

/// Every route of FeePay, each group with the middleware that authenticates it.
func addRoutes(_ c: AppComponents, to router: Router<AppRequestContext>) {
  OperationsRoutes(
    database: c.database, migrator: c.migrator, readinessTimeout: c.configuration.readinessTimeout,
    metrics: c.metrics
  ).add(to: router)
  InvoiceRoutes(
    invoices: c.invoices, presenter: c.presenter, authenticator: c.authenticator, clock: c.clock,
    rules: c.configuration.invoiceRules, connectors: c.connectors, provisioning: c.provisioning,
    vnpayGateway: c.configuration.vnpayGateway
  ).add(to: router)
  ReceiptRoutes(
    receipts: c.receipts, authenticator: c.authenticator, clock: c.clock, limiter: c.pageLimit, clients: c.clients
  ).add(to: router)
  SettlementRoutes(
    settlements: c.settlements, authenticator: c.authenticator, clock: c.clock, ids: c.ids,
    maxStatementBytes: c.configuration.maxStatementBytes, spool: c.spool, uploads: c.uploads
  ).add(to: router)
  EventRoutes(store: c.webhooks, authenticator: c.authenticator, clock: c.clock).add(to: router)
  AuditRoutes(overview: c.overview, chain: c.auditChain, authenticator: c.authenticator).add(to: router)
  PaymentPage(
    invoices: c.invoices, provisioning: c.provisioning, connectors: c.connectors, receipts: c.receipts, clock: c.clock,
    publicBaseURL: c.configuration.publicBaseURL, vnpayGateway: c.configuration.vnpayGateway, limiter: c.pageLimit,
    clients: c.clients
  ).add(to: router)
  CitizenPages.assets(to: router)
  CallbackRoutes(connectors: c.connectors, payments: c.payments, clock: c.clock, metrics: c.metrics).add(to: router)
  AccountingRoutes(payments: c.payments, ledger: c.ledger, authenticator: c.authenticator, clock: c.clock)
    .add(to: router)
  addConsole(c, to: router)
}

/// The console (`/console/…`): its own request context with hummingbird-auth's sessions kept
/// in PostgreSQL; sign-in and enrolment open, everything else behind ``ConsoleSignedIn``.
func addConsole(_ c: AppComponents, to router: Router<AppRequestContext>) {
  ConsolePages.assets(to: router)
  let cookie = SessionCookieParameters(
    name: ConsoleSession.cookie, path: "/", secure: true, sameSite: .strict)
  let console = router.group("console", context: ConsoleContext.self)
    .add(middleware: ConsoleErrors(strictTransportSecurity: c.configuration.strictTransportSecurity))
    .add(
      middleware: SessionMiddleware(
        storage: PostgresSessionDriver(staff: c.staff, clock: c.clock),
        configuration: .init(
          sessionCookieParameters: cookie, keyPrefix: "console:", defaultSessionExpiration: ConsoleSession.idle))
    )
    .add(middleware: ConsoleSameOrigin())
  let signIn = SignInRoutes(
    staff: c.staff, clock: c.clock, clients: c.clients, bcryptCost: c.configuration.bcryptCost)
  signIn.add(to: console)
  let signedIn = console.group().add(middleware: ConsoleSignedIn(staff: c.staff, clock: c.clock))
  signIn.addSignOut(to: signedIn)
  ConsoleRoutes(
    overview: c.overview, settlements: c.settlements, staff: c.staff, provisioning: c.provisioning,
    connectors: c.connectors, clock: c.clock, maxStatementBytes: c.configuration.maxStatementBytes,
    spool: c.spool, uploads: c.uploads
  ).add(to: signedIn)
  ConsoleRecords(
    settlements: c.settlements, overview: c.overview, receipts: c.receipts, ledger: c.ledger, clock: c.clock
  ).add(to: signedIn)
}

/// Builds the FeePay HTTP application: the router (``buildRouter(_:)``) and the services it
/// owns (the database pool first, then the background workers; the HTTP server starts last
/// and, on shutdown, drains before the pool closes).
public func buildApplication(
  configuration: AppConfiguration, database: Database, migrator: Migrator, secrets: SecretBox,
  clock: any WallClock = SystemClock(), metrics: AppMetrics = AppMetrics(), logger: Logger
) -> some ApplicationProtocol {
  let c = AppComponents(
    configuration: configuration, database: database, migrator: migrator, secrets: secrets, clock: clock,
    metrics: metrics)
  var services: [any Service] = [database.client]
  if let interval = configuration.maintenanceInterval {
    services.append(MaintenanceService(invoices: c.invoices, clock: clock, interval: interval, logger: logger))
  }
  if let interval = configuration.receiptInterval {
    services.append(ReceiptIssuer(receipts: c.receipts, clock: clock, interval: interval, logger: logger))
  }
  if let interval = configuration.auditSealInterval {
    services.append(AuditSealer(chain: c.auditChain, clock: clock, interval: interval, logger: logger))
  }
  if let settings = configuration.webhooks {
    services.append(
      WebhookDispatcher(store: c.webhooks, clock: clock, settings: settings, metrics: metrics, logger: logger))
  }
  var app = Application(
    router: buildRouter(c),
    configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "FeePay"),
    services: services,
    logger: logger
  )
  if configuration.migrateOnStart {
    app.beforeServerStarts {
      try await migrator.migrate(database.client, logger: logger, now: clock.now)
      if let warning = try await database.privilegeWarning() {
        logger.warning(
          "\(warning): it can alter tables, disable triggers and truncate, so the audit chain is its word only; give DATABASE_URL a runtime role of its own and migrate with DATABASE_OWNER_URL (README, Operations)"
        )
      }
    }
  }
  return app
}
