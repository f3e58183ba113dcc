import ArgumentParser
import FeePayCore
import FeePayStore
import Foundation
import Logging
import PostgresNIO

/// Wiring shared by every command: where the data folder is, how to reach PostgreSQL
/// (`DATABASE_URL` or the embedded cluster), the master key, and clean one-line errors.
struct Runtime {
  let environment = ProcessInfo.processInfo.environment
  let logger: Logger

  var dataRoot: URL { Self.dataRoot(environment) }

  static func dataRoot(_ environment: [String: String]) -> URL {
    if let dir = environment["FEEPAY_DATA_DIR"] { return URL(fileURLWithPath: dir) }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".feepay")
  }

  /// FeePay's folder for files it works on (`FEEPAY_SPOOL_DIR`, default `FEEPAY_DATA_DIR/tmp`).
  static func spoolDirectory(_ environment: [String: String]) -> URL {
    environment["FEEPAY_SPOOL_DIR"].map { URL(fileURLWithPath: $0) }
      ?? dataRoot(environment).appendingPathComponent("tmp")
  }

  var spool: Spool { Spool(directory: Self.spoolDirectory(environment)) }

  /// The receipt store a command signs or verifies with (no public base URL: commands link to no page).
  func receipts(_ database: Database, _ secrets: SecretBox) -> ReceiptStore {
    ReceiptStore(database: database, secrets: secrets, ids: IDGenerator(clock: clock), publicBaseURL: "")
  }

  var usesEmbedded: Bool { environment["DATABASE_URL"] == nil }

  /// Whether webhooks may go to private addresses and plain http: `FEEPAY_WEBHOOK_ALLOW_PRIVATE`
  /// (`1` or `0`), by default on with the embedded database (a laptop) and off with
  /// `DATABASE_URL`.
  func webhooksMayGoPrivate() throws -> Bool {
    switch environment["FEEPAY_WEBHOOK_ALLOW_PRIVATE"] {
    case nil: return usesEmbedded
    case "1": return true
    case "0": return false
    default: throw FeePayError(.configuration, "FEEPAY_WEBHOOK_ALLOW_PRIVATE must be 1 or 0")
    }
  }

  var clock: any WallClock { SystemClock() }

  func secrets() throws -> SecretBox {
    try MasterKey.load(environment: environment, dataRoot: usesEmbedded ? dataRoot : nil)
  }

  /// The migrations, applied as the schema's owner when it is a role of its own
  /// (`DATABASE_OWNER_URL`; with the embedded database, its superuser), which then grants the
  /// runtime role (`DATABASE_URL`'s user) what the service needs.
  func migrator(owner: PostgresClient.Configuration? = nil, runtime: PostgresClient.Configuration? = nil) throws
    -> Migrator
  {
    var migrator = try Migrator(directory: Migrator.locateDirectory(environment: environment))
    if let owner = try owner ?? environment["DATABASE_OWNER_URL"].map(DatabaseURL.configuration(from:)) {
      migrator.owner = owner
      migrator.runtimeRole =
        try runtime?.username
        ?? environment["DATABASE_URL"].map {
          try DatabaseURL.configuration(from: $0).username
        }
    }
    return migrator
  }

  /// A database for a one-shot command: started (and, if this command started the embedded
  /// cluster and no `feepay serve` holds the folder, stopped again), migrated, pool running.
  func withDatabase<T: Sendable>(_ body: (Database) async throws -> T) async throws -> T {
    var embedded: EmbeddedPostgres?
    var startedHere = false
    let configuration: PostgresClient.Configuration
    var owner: PostgresClient.Configuration?
    if let url = environment["DATABASE_URL"] {
      configuration = try DatabaseURL.configuration(from: url)
    } else {
      let cluster = try EmbeddedPostgres(root: dataRoot, logger: logger)
      let started = try await cluster.start()
      (startedHere, owner, configuration) = (started.startedHere, started.configuration, started.runtime)
      embedded = cluster
    }
    defer {
      if startedHere, let embedded, case .success = ProcessLock.acquire(dataRoot.appendingPathComponent("serve.lock")) {
        try? embedded.stop()
      }
    }
    // The pool's own chatter (such as a lease queued a moment before run() starts) is noise
    // for a one-shot command: it logs errors only.
    var poolLogger = logger
    poolLogger.logLevel = .error
    let database = Database(configuration: configuration, poolSize: 2, logger: poolLogger)
    let migrator = try migrator(owner: owner, runtime: configuration)
    return try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await database.client.run() }
      defer { group.cancelAll() }
      try await migrator.migrate(database.client, logger: logger, now: clock.now)
      return try await body(database)
    }
  }
}

/// Runs a command body and turns any error into one line on standard error and exit 1.
func reportingErrors(_ body: () async throws -> Void) async throws {
  do {
    try await body()
  } catch let error as FeePayError {
    FileHandle.standardError.write(Data("feepay: \(error.detail)\n".utf8))
    throw ExitCode.failure
  } catch let error as ExitCode {
    throw error
  } catch {
    let translated = Database.translate(error)
    let text = (translated as? FeePayError)?.detail ?? String(reflecting: error)
    FileHandle.standardError.write(Data("feepay: \(text)\n".utf8))
    throw ExitCode.failure
  }
}

/// Prints a note for the person at the terminal (standard error), keeping standard output
/// for what scripts capture (keys, secrets, ids).
func note(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}
