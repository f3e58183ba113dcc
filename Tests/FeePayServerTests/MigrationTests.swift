import FeePayCore
import FeePayStore
import Foundation
import PostgresNIO
import Testing

@Suite(.timeLimit(.minutes(5))) struct MigrationTests {
  let logger = TestEnvironment.logger

  func copyOfMigrations() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feepay-migrations-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: TestEnvironment.migrationsDirectory, to: dir)
    return dir
  }

  @Test func freshDatabaseThenNoOpThenChangedChecksumRefused() async throws {
    let configuration = try await TestEnvironment.shared.makeDatabase(prefix: "feepay_migrate")
    let directory = try copyOfMigrations()
    defer { try? FileManager.default.removeItem(at: directory) }
    let migrator = try Migrator(directory: directory)
    try await withClient(configuration) { client in
      #expect(try await migrator.pending(client, logger: logger).count == migrator.migrations.count)
      let applied = try await migrator.migrate(client, logger: logger)
      #expect(applied == migrator.migrations.map(\.version))
      #expect(try await migrator.migrate(client, logger: logger).isEmpty)
      #expect(try await migrator.pending(client, logger: logger).isEmpty)
      let rows = try await client.query("SELECT count(*)::int FROM schema_migrations").collect()
      #expect(try rows[0].decode(Int.self) == migrator.migrations.count)

      let first = try #require(migrator.migrations.first)
      let file = directory.appendingPathComponent(first.name)
      try (first.sql + "\n-- edited after it was applied\n").write(to: file, atomically: true, encoding: .utf8)
      let changed = try Migrator(directory: directory)
      do {
        try await changed.migrate(client, logger: logger)
        Issue.record("a changed migration was accepted")
      } catch let error as FeePayError {
        #expect(error.detail.contains(first.name))
      }
      await #expect(throws: FeePayError.self) { try await changed.pending(client, logger: logger) }
    }
  }

  /// Migration 0008 moves agencies (and series set ahead) from Circular 78/2021's symbols to
  /// Circular 32/2025/TT-BTC's: template EBL01, series of the year's digits and T.
  @Test func migration8MovesAgenciesToTheSymbolsOfCircular32() async throws {
    let configuration = try await TestEnvironment.shared.makeDatabase(prefix: "feepay_migrate")
    let all = try Migrator(directory: TestEnvironment.migrationsDirectory)
    let before = Migrator(migrations: all.migrations.filter { $0.version < 8 })
    try await withClient(configuration) { client in
      _ = try await before.migrate(client, logger: logger)
      try await client.query(
        """
        INSERT INTO agencies (code, name, tax_code, bank_bin, account_number, account_name, receipt_template,
                              receipt_series, created_at)
        VALUES ('OLD', 'Sở cũ', '0301234567', '970436', '1', 'X', '1', 'C26TAA', now())
        """)
      try await client.query(
        "INSERT INTO receipt_series (agency_code, year, template_symbol, series) VALUES ('OLD', 2027, '1', 'C27TBB')")
      #expect(try await all.migrate(client, logger: logger).contains(8))
      let agency = try await client.query("SELECT receipt_template, receipt_series FROM agencies WHERE code = 'OLD'")
        .collect()
      #expect(try agency[0].decode((String, String).self) == ("EBL01", "26T"))
      let ahead = try await client.query(
        "SELECT template_symbol, series FROM receipt_series WHERE agency_code = 'OLD' AND year = 2027"
      ).collect()
      #expect(try ahead[0].decode((String, String).self) == ("EBL01", "27T"))
    }
  }

  @Test func twoMigratorsAtOnceApplyEachFileOnce() async throws {
    let configuration = try await TestEnvironment.shared.makeDatabase(prefix: "feepay_migrate")
    let migrator = try Migrator(directory: TestEnvironment.migrationsDirectory)
    let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
      for _ in 0..<3 {
        group.addTask {
          try await withClient(configuration) { client in
            try await migrator.migrate(client, logger: TestEnvironment.logger)
          }
        }
      }
      return try await group.reduce(into: [Int]()) { $0 += $1 }
    }
    #expect(applied.sorted() == migrator.migrations.map(\.version))
  }

  @Test func aFailingFileLeavesNothingBehind() async throws {
    let configuration = try await TestEnvironment.shared.makeDatabase(prefix: "feepay_migrate")
    let directory = try copyOfMigrations()
    defer { try? FileManager.default.removeItem(at: directory) }
    try "CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n".write(
      to: directory.appendingPathComponent("9999_broken.sql"), atomically: true, encoding: .utf8)
    let migrator = try Migrator(directory: directory)
    try await withClient(configuration) { client in
      await #expect(throws: (any Error).self) { try await migrator.migrate(client, logger: logger) }
      let half = try await client.query("SELECT to_regclass('half_done') IS NULL").collect()
      #expect(try half[0].decode(Bool.self))
      let recorded = try await client.query("SELECT count(*)::int FROM schema_migrations WHERE version = 9999")
        .collect()
      #expect(try recorded[0].decode(Int.self) == 0)
    }
  }

  @Test func badFileNamesAreRefused() throws {
    let directory = try copyOfMigrations()
    defer { try? FileManager.default.removeItem(at: directory) }
    try "SELECT 1;".write(to: directory.appendingPathComponent("7_short.sql"), atomically: true, encoding: .utf8)
    #expect(throws: FeePayError.self) { try Migrator(directory: directory) }
  }
}

@Suite(.timeLimit(.minutes(5))) struct SQLScriptTests {
  @Test func splitsAtTopLevelSemicolonsOnly() {
    let script = """
      -- a comment; with a semicolon
      CREATE TABLE a (t text DEFAULT 'x;y');
      /* block; /* nested; */ still comment; */
      CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'no; way'; END;
      $$;
      CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
      SELECT "odd;name" FROM a WHERE t = $1;
      ;
      """
    let statements = SQLScript.statements(script)
    #expect(statements.count == 4)
    #expect(statements[0] == "-- a comment; with a semicolon\nCREATE TABLE a (t text DEFAULT 'x;y')")
    #expect(statements[1].hasSuffix("$$"))
    #expect(statements[2].hasSuffix("$body$"))
    #expect(statements[3] == "SELECT \"odd;name\" FROM a WHERE t = $1")
  }

  @Test func quotesWithDoubledQuotesAndEmptyScripts() {
    #expect(SQLScript.statements("SELECT 'it''s; fine'; SELECT 2") == ["SELECT 'it''s; fine'", "SELECT 2"])
    #expect(SQLScript.statements("  -- only a comment\n").isEmpty)
    #expect(SQLScript.statements("").isEmpty)
  }
}

@Suite(.timeLimit(.minutes(5))) struct DatabaseURLTests {
  @Test func readsHostsSocketsAndSSLModes() throws {
    let tcp = try DatabaseURL.configuration(from: "postgres://feepay:s%40cret@db.example:6543/fees?sslmode=require")
    #expect(tcp.host == "db.example")
    #expect(tcp.port == 6543)
    #expect(tcp.username == "feepay")
    #expect(tcp.password == "s@cret")
    #expect(tcp.database == "fees")
    let socket = try DatabaseURL.configuration(from: "postgresql://me@localhost/db?host=/var/run/postgresql")
    #expect(socket.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5432")
    #expect(throws: FeePayError.self) { try DatabaseURL.configuration(from: "mysql://x@y/z") }
    #expect(throws: FeePayError.self) { try DatabaseURL.configuration(from: "postgres://x@y/z?sslmode=sometimes") }
  }
}
