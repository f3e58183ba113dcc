import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL the tests run against: `FEEPAY_TEST_DATABASE_URL` or `DATABASE_URL`
/// (a role that may create databases; `scripts/test` starts a throwaway server and sets
/// it), else an embedded cluster under `.build/test-postgres`. Each test process gets a
/// fresh database, migrated once; tests isolate themselves by seeding their own agencies
/// and portals with random codes. Tests that need a pristine database make their own.
actor TestEnvironment {
  static let shared = TestEnvironment()

  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  static let migrationsDirectory = packageRoot.appendingPathComponent("Migrations")

  static var logger: Logger {
    var logger = Logger(label: "feepay-test")
    logger.logLevel =
      ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) }
      ?? .critical
    return logger
  }

  private var server: Task<PostgresClient.Configuration, any Error>?
  private var shared: Task<PostgresClient.Configuration, any Error>?

  /// The server's admin configuration (database `postgres`).
  func serverConfiguration() async throws -> PostgresClient.Configuration {
    if let server { return try await server.value }
    let task = Task<PostgresClient.Configuration, any Error> {
      let env = ProcessInfo.processInfo.environment
      if let url = env["FEEPAY_TEST_DATABASE_URL"] ?? env["DATABASE_URL"] {
        var configuration = try DatabaseURL.configuration(from: url)
        configuration.database = "postgres"
        return configuration
      }
      let cluster = try EmbeddedPostgres(
        root: Self.packageRoot.appendingPathComponent(".build/test-postgres"), logger: Self.logger)
      var configuration = try await cluster.start().configuration
      configuration.database = "postgres"
      return configuration
    }
    server = task
    return try await task.value
  }

  /// A new, empty database on the test server.
  func makeDatabase(prefix: String = "feepay_test") async throws -> PostgresClient.Configuration {
    let admin = try await serverConfiguration()
    let name = "\(prefix)_\(UInt64.random(in: 0...UInt64.max) % 1_000_000_000_000)"
    try await withClient(admin) { client in
      try await client.query("CREATE DATABASE \(unescaped: name)")
    }
    var configuration = admin
    configuration.database = name
    return configuration
  }

  /// A new database with every migration applied (by the test server's admin role, its
  /// owner), the runtime role (``runtimeRole``) granted what the service needs.
  func migratedDatabase() async throws -> PostgresClient.Configuration {
    let configuration = try await makeDatabase()
    let migrator = try Migrator(directory: Self.migrationsDirectory)
    try await ensureRuntimeRole()
    try await withClient(configuration) { client in
      try await migrator.migrate(client, logger: Self.logger)
      try await client.query("SELECT feepay_grant_runtime(\(Self.runtimeRole))")
    }
    return configuration
  }

  /// The role served processes run as, as in production: no superuser, owner of nothing,
  /// granted by `feepay_grant_runtime` (Migrations/0017). Its password is for servers that
  /// ask for one (the throwaway test servers trust local connections).
  static let runtimeRole = "feepay_test_runtime"
  static let runtimePassword = "feepay-test-runtime"

  private var runtimeRoleReady: Task<Void, any Error>?

  func ensureRuntimeRole() async throws {
    if let runtimeRoleReady { return try await runtimeRoleReady.value }
    let admin = try await serverConfiguration()
    let task = Task<Void, any Error> {
      try await withClient(admin) { client in
        let exists = try await client.query("SELECT 1 FROM pg_roles WHERE rolname = \(Self.runtimeRole)")
        var found = false
        for try await _ in exists { found = true }
        if !found {
          try await client.query(
            "CREATE ROLE \(unescaped: Self.runtimeRole) LOGIN PASSWORD '\(unescaped: Self.runtimePassword)'")
        }
      }
    }
    runtimeRoleReady = task
    try await task.value
  }

  /// `configuration`'s database, reached as the runtime role.
  static func runtime(_ configuration: PostgresClient.Configuration) -> PostgresClient.Configuration {
    var runtime = configuration
    runtime.username = runtimeRole
    runtime.password = runtimePassword
    return runtime
  }

  /// The database shared by HTTP tests, migrated once per test process.
  func sharedDatabase() async throws -> PostgresClient.Configuration {
    if let shared { return try await shared.value }
    let task = Task<PostgresClient.Configuration, any Error> { try await migratedDatabase() }
    shared = task
    return try await task.value
  }
}

/// Runs `body` with a running PostgresClient for `configuration`.
@discardableResult
func withClient<T: Sendable>(
  _ configuration: PostgresClient.Configuration, _ body: @Sendable (PostgresClient) async throws -> T
) async throws -> T {
  let client = PostgresClient(configuration: configuration, backgroundLogger: TestEnvironment.logger)
  return try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { await client.run() }
    defer { group.cancelAll() }
    return try await body(client)
  }
}

/// One connection of its own to `configuration`'s database, for tests that hold a
/// transaction open across other work (BEGIN … COMMIT by hand).
func connect(_ configuration: PostgresClient.Configuration) async throws -> PostgresConnection {
  let config: PostgresConnection.Configuration
  if let socket = configuration.unixSocketPath {
    config = .init(
      unixSocketPath: socket, username: configuration.username, password: configuration.password,
      database: configuration.database)
  } else {
    config = .init(
      host: configuration.host ?? "127.0.0.1", port: configuration.port ?? 5432, username: configuration.username,
      password: configuration.password, database: configuration.database, tls: .disable)
  }
  return try await PostgresConnection.connect(
    configuration: config, id: Int.random(in: 1...Int(Int32.max)), logger: TestEnvironment.logger)
}
