import Crypto
public import FeePayCore
public import Foundation
import Logging
public import PostgresNIO

/// One file of `Migrations/`, named `NNNN_name.sql`.
public struct Migration: Sendable, Hashable {
  public let version: Int
  public let name: String
  public let sql: String
  /// Lowercase hex SHA-256 of the file's bytes.
  public let checksum: String
}

/// Applies `Migrations/NNNN_name.sql` in order, each file in its own transaction, under a
/// PostgreSQL advisory lock, so that several instances starting at once apply each file
/// exactly once. `schema_migrations` records version, name, SHA-256 and time; a file whose
/// content changed after it was applied stops the migrator with an error naming the file.
///
/// With two roles (``owner`` set), the files are applied as the owner, over a connection of
/// its own, and ``runtimeRole`` is then granted what the service needs
/// (`feepay_grant_runtime`, Migrations/0017): everything else keeps working as the runtime
/// role, which cannot alter, drop or truncate a table, nor disable a trigger.
public struct Migrator: Sendable {
  public let migrations: [Migration]
  /// The schema owner's connection settings (`DATABASE_OWNER_URL`, or the embedded
  /// cluster's superuser); `nil` applies migrations as the client given to ``migrate(_:logger:now:)``.
  public var owner: PostgresClient.Configuration?
  /// The role the service runs as (`DATABASE_URL`'s user), granted its privileges after
  /// each run as the owner.
  public var runtimeRole: String?
  /// Key of the session-level advisory lock (`pg_advisory_lock`): "FeePay" in ASCII.
  static let lockKey: Int64 = 0x4665_6550_6179

  public init(migrations: [Migration]) { self.migrations = migrations.sorted { $0.version < $1.version } }

  /// Reads every `NNNN_name.sql` in `directory`.
  public init(directory: URL) throws(FeePayError) {
    let files: [String]
    do {
      files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    } catch {
      throw FeePayError(.configuration, "cannot read migrations from \(directory.path)")
    }
    var migrations: [Migration] = []
    for file in files.sorted() where file.hasSuffix(".sql") {
      let stem = file.dropLast(4)
      let parts = stem.split(separator: "_", maxSplits: 1)
      guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]) else {
        throw FeePayError(.configuration, "migration file \(file) is not named NNNN_name.sql")
      }
      guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path) else {
        throw FeePayError(.configuration, "cannot read migration \(file)")
      }
      if migrations.contains(where: { $0.version == version }) {
        throw FeePayError(.configuration, "two migration files have version \(parts[0])")
      }
      migrations.append(
        Migration(
          version: version, name: file, sql: String(decoding: data, as: UTF8.self),
          checksum: SHA256.hash(data: data).lowercaseHex))
    }
    guard !migrations.isEmpty else {
      throw FeePayError(.configuration, "no migrations found in \(directory.path)")
    }
    self.init(migrations: migrations)
  }

  /// Finds `Migrations/`: `FEEPAY_MIGRATIONS_DIR`, then the working directory, then beside
  /// or above the executable (a SwiftPM build folder or an installed layout).
  public static func locateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment)
    throws(FeePayError) -> URL
  {
    if let explicit = environment["FEEPAY_MIGRATIONS_DIR"] { return URL(fileURLWithPath: explicit) }
    var candidates = [
      URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Migrations")
    ]
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 {
      candidates.append(dir.appendingPathComponent("Migrations"))
      candidates.append(dir.appendingPathComponent("share/feepay/Migrations"))
      dir = dir.deletingLastPathComponent()
    }
    for candidate in candidates {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
        return candidate
      }
    }
    throw FeePayError(.configuration, "cannot find the Migrations folder; set FEEPAY_MIGRATIONS_DIR")
  }

  /// Applies what is missing and answers the versions it applied (empty when up to date).
  @discardableResult
  public func migrate(_ client: PostgresClient, logger: Logger, now: Date = Date()) async throws -> [Int] {
    guard let owner else {
      do {
        return try await migrate(with: client, logger: logger, now: now)
      } catch  where Database.sqlState(of: error) == "42501" {
        throw FeePayError(
          .configuration,
          "this database role may not change the schema (permission denied); run migrations as the schema's owner: set DATABASE_OWNER_URL"
        )
      }
    }
    // The pool's own chatter (a lease queued a moment before run() starts) is noise here.
    var poolLogger = logger
    poolLogger.logLevel = .error
    let ownerClient = PostgresClient(configuration: owner, backgroundLogger: poolLogger)
    return try await withThrowingTaskGroup(of: [Int]?.self) { group in
      group.addTask {
        await ownerClient.run()
        return nil
      }
      defer { group.cancelAll() }
      let applied = try await migrate(with: ownerClient, logger: logger, now: now)
      if let runtimeRole, runtimeRole != owner.username {
        try await ownerClient.withConnection { connection in
          _ = try await connection.query("SELECT feepay_grant_runtime(\(runtimeRole))", logger: logger).collect()
        }
        logger.info("granted the runtime role its privileges", metadata: ["role": "\(runtimeRole)"])
      }
      return applied
    }
  }

  func migrate(with client: PostgresClient, logger: Logger, now: Date) async throws -> [Int] {
    // Current already: nothing to write, no DDL (the runtime role of a two-role setup may
    // run this, and may not create even schema_migrations).
    if try await pending(client, logger: logger).isEmpty { return [] }
    return try await client.withConnection { connection in
      try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
      do {
        let applied = try await apply(on: connection, logger: logger, now: now)
        try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
        return applied
      } catch {
        _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
        throw Database.translate(error)
      }
    }
  }

  /// Versions that this build knows and the database has not applied yet. Throws when an
  /// applied file changed or the database is ahead of this build.
  public func pending(_ client: PostgresClient, logger: Logger) async throws -> [Migration] {
    try await client.withConnection { connection in
      let exists = try await connection.query(
        "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger
      ).collect()
      guard try exists.first?.decode(Bool.self) == true else { return migrations }
      let applied = try await appliedChecksums(on: connection, logger: logger)
      try verify(applied)
      return migrations.filter { applied[$0.version] == nil }
    }
  }

  func appliedChecksums(on connection: PostgresConnection, logger: Logger) async throws -> [Int: String] {
    var applied: [Int: String] = [:]
    let rows = try await connection.query("SELECT version, checksum FROM schema_migrations", logger: logger)
    for try await (version, checksum) in rows.decode((Int, String).self) { applied[version] = checksum }
    return applied
  }

  func verify(_ applied: [Int: String]) throws(FeePayError) {
    for migration in migrations {
      if let checksum = applied[migration.version], checksum != migration.checksum {
        throw FeePayError(
          .configuration,
          "migration \(migration.name) was changed after it was applied (checksum \(checksum.prefix(12))… in the database, \(migration.checksum.prefix(12))… on disk); add a new migration instead"
        )
      }
    }
    if let unknown = applied.keys.filter({ v in !migrations.contains { $0.version == v } }).max() {
      throw FeePayError(
        .configuration,
        "the database has migration \(unknown), which this build of FeePay does not know; upgrade FeePay")
    }
  }

  func apply(on connection: PostgresConnection, logger: Logger, now: Date) async throws -> [Int] {
    try await connection.query(
      """
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL
      )
      """, logger: logger)
    let applied = try await appliedChecksums(on: connection, logger: logger)
    try verify(applied)
    var done: [Int] = []
    for migration in migrations where applied[migration.version] == nil {
      logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
      try await connection.withTransaction(logger: logger) { connection in
        for statement in SQLScript.statements(migration.sql) {
          try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        try await connection.query(
          """
          INSERT INTO schema_migrations (version, name, checksum, applied_at)
          VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(now))
          """, logger: logger)
      }
      done.append(migration.version)
    }
    return done
  }
}
