import ArgumentParser
import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import Hummingbird
import Logging
import NIOHTTP1
import PostgresNIO

#if canImport(Glibc)
  import Glibc
#endif

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

@main
struct FeePayCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "feepay",
    abstract: "Cashless fee payments for administrative procedures.",
    discussion: """
      Every command reads DATABASE_URL; without it FeePay runs an embedded PostgreSQL under
      .feepay/ (or FEEPAY_DATA_DIR). Secrets are printed only by the commands that create them.
      """,
    subcommands: [
      Serve.self, Migrate.self, AgencyCommand.self, PortalCommand.self, KeyCommand.self, OpenAPI.self,
      ConnectorCommand.self, BankCommand.self, SigningKeyCommand.self, Reconcile.self, Demo.self, HealthCheck.self,
      Settings.self, StaffCommand.self, AuditCommand.self,
    ]
  )
}

/// A quiet logger for one-shot commands: warnings and errors only, on standard error.
func commandLogger() -> Logger {
  var logger = Logger(label: "feepay") { StreamLogHandler.standardError(label: $0) }
  logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
  return logger
}

struct Serve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Run the HTTP service (migrations are applied first).")

  @Option(help: "Address to listen on.") var host = ProcessInfo.processInfo.environment["FEEPAY_HOST"] ?? "127.0.0.1"
  @Option(help: "Port to listen on.") var port =
    ProcessInfo.processInfo.environment["FEEPAY_PORT"].flatMap(Int.init) ?? 8080
  @Option(help: "Base URL of citizen-facing links (FEEPAY_PUBLIC_URL).") var publicURL: String?

  func run() async throws {
    // A file size limit (RLIMIT_FSIZE) makes a write fail with EFBIG, answered like a full
    // disk; by default its signal would end the process with every request in flight.
    signal(SIGXFSZ, SIG_IGN)
    LoggingSystem.bootstrap { label in
      JSONLogHandler(
        label: label,
        level: ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info)
    }
    let logger = Logger(label: "feepay")
    let runtime = Runtime(logger: logger)
    try await reportingErrors {
      // Every setting is checked before anything starts.
      let configuration = try serveConfiguration(runtime.environment)
      var embedded: EmbeddedPostgres?
      var startedHere = false
      var lock: ProcessLock?
      let postgres: PostgresClient.Configuration
      var owner: PostgresClient.Configuration?
      if let url = runtime.environment["DATABASE_URL"] {
        postgres = try DatabaseURL.configuration(from: url)
      } else {
        try FileManager.default.createDirectory(at: runtime.dataRoot, withIntermediateDirectories: true)
        switch ProcessLock.acquire(runtime.dataRoot.appendingPathComponent("serve.lock")) {
        case .success(let held): lock = held
        case .failure(let holder):
          throw FeePayError(
            .configuration,
            "the data folder \(runtime.dataRoot.path) is in use by another feepay serve\(holder.pid.map { " (pid \($0))" } ?? ""); stop it, or use another FEEPAY_DATA_DIR or DATABASE_URL"
          )
        }
        let cluster = try EmbeddedPostgres(root: runtime.dataRoot, logger: logger)
        let started = try await cluster.start()
        (startedHere, owner, postgres) = (started.startedHere, started.configuration, started.runtime)
        embedded = cluster
      }
      defer {
        if startedHere, let embedded {
          do { try embedded.stop() } catch { logger.error("could not stop the embedded PostgreSQL: \(error)") }
        }
        _ = lock
      }
      if configuration.app.webhooks?.allowPrivate == true {
        logger.notice(
          "webhooks may go to loopback and private addresses and over plain http (FEEPAY_WEBHOOK_ALLOW_PRIVATE=1\(runtime.environment["FEEPAY_WEBHOOK_ALLOW_PRIVATE"] == nil ? ", the embedded database's default" : "")); set FEEPAY_WEBHOOK_ALLOW_PRIVATE=0 to refuse them"
        )
      }
      let secrets = try runtime.secrets()
      let database = Database(
        configuration: postgres, poolSize: configuration.poolSize, leaseTimeout: configuration.databaseWait,
        logger: logger)
      let app = buildApplication(
        configuration: configuration.app, database: database,
        migrator: try runtime.migrator(owner: owner, runtime: postgres), secrets: secrets,
        clock: runtime.clock, logger: logger)
      try await app.runService()
    }
  }

  /// The application's settings: the options, then the `FEEPAY_*` variables (see the
  /// README's table). A bad value stops the start with a message naming the variable.
  func serveConfiguration(_ environment: [String: String]) throws -> ServeConfiguration {
    var configuration = ServeConfiguration()
    configuration.app.host = host
    configuration.app.port = port
    configuration.app.publicBaseURL = "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)"
    configuration.app.webhooks?.allowPrivate = environment["DATABASE_URL"] == nil
    configuration.app.spoolDirectory = Runtime.spoolDirectory(environment)
    try ServeSettings.apply(environment, to: &configuration)
    if let publicURL { configuration.app.publicBaseURL = publicURL }
    return configuration
  }
}

struct Migrate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Apply the SQL files in Migrations/ that are not applied yet.")

  func run() async throws {
    let runtime = Runtime(logger: commandLogger())
    try await reportingErrors {
      let migrator = try runtime.migrator()
      try await runtime.withDatabase { database in
        let pending = try await migrator.pending(database.client, logger: database.logger)
        print(
          pending.isEmpty
            ? "migrations are current (\(migrator.migrations.count) applied)" : "pending: \(pending.map(\.name))")
      }
    }
  }
}

struct OpenAPI: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "openapi", abstract: "Print the OpenAPI 3.1 document that GET /openapi.yaml serves.")

  func run() async throws { print(openAPIDocument, terminator: "") }
}

struct HealthCheck: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "healthcheck",
    abstract: "Exit 0 if a running FeePay answers /health/ready (for container health checks).")

  @Option(help: "The readiness URL.")
  var url = "http://127.0.0.1:\(ProcessInfo.processInfo.environment["FEEPAY_PORT"] ?? "8080")/health/ready"

  func run() async throws {
    guard URL(string: url)?.host != nil else { throw ValidationError("--url is not a URL") }
    let status = try? await CommandHTTPClient(timeout: .seconds(3)).send(.GET, url).status
    guard status == 200 else {
      note("feepay: \(url) answered \(status.map(String.init) ?? "nothing")")
      throw ExitCode.failure
    }
  }
}

struct Settings: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print every environment variable FeePay reads, as the README's table (Markdown).")

  func run() { print(ServeSettings.markdown) }
}
