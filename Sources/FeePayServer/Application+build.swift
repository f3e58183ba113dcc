public import FeePayCore
public import FeePayStore
public import Foundation
import HTTPTypes
public import Hummingbird
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
  /// The largest settlement file accepted (default 512 MiB).
  public var maxStatementBytes = 512 << 20
  /// Webhook delivery to portals; `nil` turns the dispatcher off (tests drive it by hand).
  public var webhooks: WebhookSettings? = WebhookSettings()
  /// VNPay's payment page (sandbox by default; production is https://pay.vnpay.vn/vpcpay.html).
  public var vnpayGateway = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
  /// How long API keys' principals, connectors' secrets and agencies' bank accounts are kept
  /// in process (seconds of the injected clock; 0 turns the caches off). See the README's
  /// "Performance" section for what each cache may serve stale, and why that is safe.
  public var cacheLifetime: TimeInterval = 5

  public init() {}
}

/// Builds the FeePay HTTP application: routes, middleware and the services it owns (the
/// database pool first, then the background workers; the HTTP server starts last and, on
/// shutdown, drains before the pool closes).
public func buildApplication(
  configuration: AppConfiguration, database: Database, migrator: Migrator, secrets: SecretBox,
  clock: any WallClock = SystemClock(), metrics: AppMetrics = AppMetrics(), logger: Logger
) -> some ApplicationProtocol {
  let ids = IDGenerator(clock: clock)
  let presenter = InvoicePresenter(publicBaseURL: configuration.publicBaseURL)
  let invoices = InvoiceStore(
    database: database, ids: ids, presenter: presenter, paymentCodePrefix: configuration.paymentCodePrefix,
    clock: clock, cacheLifetime: configuration.cacheLifetime)
  let provisioning = ProvisioningStore(database: database, ids: ids)
  let authenticator = Authenticator(
    provisioning: provisioning, clock: clock, cacheLifetime: configuration.cacheLifetime)
  let connectors = ConnectorStore(
    database: database, secrets: secrets, clock: clock, cacheLifetime: configuration.cacheLifetime)
  let payments = PaymentStore(
    database: database, ids: ids, presenter: presenter, paymentCodePrefix: configuration.paymentCodePrefix)

  let router = Router(context: AppRequestContext.self)
  router.add(middleware: RequestMiddleware())
  OperationsRoutes(database: database, migrator: migrator, readinessTimeout: configuration.readinessTimeout)
    .add(to: router)
  router.get("/metrics") { _, _ in
    var headers = HTTPFields()
    headers[.contentType] = "text/plain; version=0.0.4"
    return Response(
      status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
  }
  InvoiceRoutes(
    invoices: invoices, presenter: presenter, authenticator: authenticator, clock: clock,
    rules: configuration.invoiceRules, connectors: connectors, vnpayGateway: configuration.vnpayGateway
  ).add(to: router)
  let receipts = ReceiptStore(
    database: database, secrets: secrets, ids: ids, publicBaseURL: configuration.publicBaseURL)
  ReceiptRoutes(receipts: receipts, authenticator: authenticator, clock: clock).add(to: router)
  SettlementRoutes(
    settlements: SettlementStore(database: database, ids: ids, presenter: presenter), authenticator: authenticator,
    clock: clock, ids: ids, maxStatementBytes: configuration.maxStatementBytes
  ).add(to: router)
  let webhookStore = WebhookStore(database: database, secrets: secrets)
  EventRoutes(store: webhookStore, authenticator: authenticator, clock: clock).add(to: router)
  PaymentPage(invoices: invoices, provisioning: provisioning, clock: clock).add(to: router)
  CallbackRoutes(connectors: connectors, payments: payments, clock: clock, metrics: metrics).add(to: router)
  AccountingRoutes(
    payments: payments, ledger: LedgerStore(database: database, ids: ids), authenticator: authenticator, clock: clock
  ).add(to: router)

  var services: [any Service] = [database.client]
  if let interval = configuration.maintenanceInterval {
    services.append(MaintenanceService(invoices: invoices, clock: clock, interval: interval, logger: logger))
  }
  if let interval = configuration.receiptInterval {
    services.append(ReceiptIssuer(receipts: receipts, clock: clock, interval: interval, logger: logger))
  }
  if let settings = configuration.webhooks {
    services.append(
      WebhookDispatcher(store: webhookStore, clock: clock, settings: settings, metrics: metrics, logger: logger))
  }
  var app = Application(
    router: router,
    configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "FeePay"),
    services: services,
    logger: logger
  )
  if configuration.migrateOnStart {
    app.beforeServerStarts {
      try await migrator.migrate(database.client, logger: logger, now: clock.now)
    }
  }
  return app
}
