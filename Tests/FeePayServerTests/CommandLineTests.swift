import Crypto
import FeePayCore
import FeePayStore
import Foundation
import PostgresNIO
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The `feepay` executable itself, run as a user would run it.
@Suite(.serialized, .timeLimit(.minutes(5))) struct CommandLineTests {
  static var binary: URL {
    if let explicit = ProcessInfo.processInfo.environment["FEEPAY_BINARY"] { return URL(fileURLWithPath: explicit) }
    // The test bundle sits in the same build folder as the executable.
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("feepay")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    return TestEnvironment.packageRoot.appendingPathComponent(".build/debug/feepay")
  }

  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func run(_ arguments: [String], environment: [String: String]) throws -> Run {
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "DATABASE_URL")
    for (k, v) in environment { env[k] = v }
    env["FEEPAY_MIGRATIONS_DIR"] = TestEnvironment.migrationsDirectory.path
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
      status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
      stderr: String(decoding: e, as: UTF8.self))
  }

  /// The single integer a query on `configuration`'s database answers.
  static func scalar(_ configuration: PostgresClient.Configuration, _ query: PostgresQuery) async throws -> Int {
    try await withClient(configuration) { client in
      try await client.query(query).collect().first?.decode(Int.self) ?? -1
    }
  }

  static func url(for configuration: PostgresClient.Configuration) -> String {
    if let socket = configuration.unixSocketPath {
      let dir = (socket as NSString).deletingLastPathComponent
      let port = socket.split(separator: ".").last.map(String.init) ?? "5432"
      return "postgres://\(configuration.username)@localhost:\(port)/\(configuration.database ?? "")?host=\(dir)"
    }
    let password = configuration.password.map { ":\($0)" } ?? ""
    return
      "postgres://\(configuration.username)\(password)@\(configuration.host ?? "127.0.0.1"):\(configuration.port ?? 5432)/\(configuration.database ?? "")?sslmode=disable"
  }

  @Test func provisioningCommandsWorkAndRefuseBadInput() async throws {
    let configuration = try await TestEnvironment.shared.makeDatabase(prefix: "feepay_cli")
    let env = [
      "DATABASE_URL": Self.url(for: configuration), "FEEPAY_MASTER_KEY": SecretBox.generateMasterKey(),
      "LOG_LEVEL": "error",
    ]
    let migrate = try Self.run(["migrate"], environment: env)
    #expect(migrate.status == 0, "\(migrate.stderr)")
    let agency = try Self.run(
      [
        "agency", "add", "--code", "HCM-STP", "--name", "Sở Tư pháp TP.HCM", "--tax-code", "0301234567", "--bank-bin",
        "970436", "--account-number", "0071000123456", "--account-name", "SO TU PHAP TPHCM", "--receipt-series",
        "26T",
      ], environment: env)
    #expect(agency.status == 0, "\(agency.stderr)")
    let again = try Self.run(
      [
        "agency", "add", "--code", "HCM-STP", "--name", "x", "--tax-code", "0301234567", "--bank-bin", "970436",
        "--account-number", "1", "--account-name", "X", "--receipt-series", "26T",
      ], environment: env)
    #expect(again.status != 0)
    #expect(again.stderr.contains("already exists"))
    let badTax = try Self.run(
      [
        "agency", "add", "--code", "HN-STP", "--name", "x", "--tax-code", "12", "--bank-bin", "970436",
        "--account-number", "1", "--account-name", "X", "--receipt-series", "26T",
      ], environment: env)
    #expect(badTax.status != 0)
    #expect(badTax.stderr.contains("tax code"))
    #expect(badTax.stderr.split(separator: "\n").count == 1)
    // Circular 78/2021's symbols are refused for new agencies, naming the Circular that replaced them.
    for (template, series) in [("1", "26T"), ("EBL01", "C26TAA")] {
      let old = try Self.run(
        [
          "agency", "add", "--code", "HN-STP", "--name", "x", "--tax-code", "0301234567", "--bank-bin", "970436",
          "--account-number", "1", "--account-name", "X", "--receipt-template", template, "--receipt-series", series,
        ], environment: env)
      #expect(old.status != 0)
      #expect(old.stderr.contains("Circular 32/2025/TT-BTC"), "\(old.stderr)")
    }
    let contact = try Self.run(
      [
        "agency", "set-contact", "--code", "HCM-STP", "--address", "141 Pasteur, TP. Hồ Chí Minh", "--phone",
        "028 3829 0230",
      ],
      environment: env)
    #expect(contact.status == 0, "\(contact.stderr)")
    #expect(
      try await Self.scalar(
        configuration,
        "SELECT count(*)::int FROM agencies WHERE code = 'HCM-STP' AND address = '141 Pasteur, TP. Hồ Chí Minh' AND phone = '028 3829 0230'"
      ) == 1)
    #expect(
      try Self.run(["agency", "set-contact", "--code", "NOPE", "--phone", "02838290230"], environment: env).status != 0)

    let portal = try Self.run(
      [
        "portal", "add", "--code", "dvc-hcm", "--name", "Cổng DVC", "--agencies", "HCM-STP", "--webhook-url",
        "https://p.example/h",
      ],
      environment: env)
    #expect(portal.status == 0, "\(portal.stderr)")
    #expect(portal.stdout.hasPrefix("whsec_"))
    // A webhook URL that leads inside, or plain http, is refused with DATABASE_URL unless
    // FEEPAY_WEBHOOK_ALLOW_PRIVATE=1.
    for url in [
      "https://127.0.0.1/h", "https://[::ffff:10.0.0.1]/h", "https://169.254.169.254/h", "http://p.example/h",
    ] {
      let inside = try Self.run(
        ["portal", "add", "--code", "dvc-in", "--name", "In", "--agencies", "HCM-STP", "--webhook-url", url],
        environment: env)
      #expect(inside.status != 0, "\(url)")
      #expect(inside.stderr.contains("webhook URL refused"), "\(inside.stderr)")
    }
    var laptop = env
    laptop["FEEPAY_WEBHOOK_ALLOW_PRIVATE"] = "1"
    let allowed = try Self.run(
      [
        "portal", "add", "--code", "dvc-lan", "--name", "LAN", "--agencies", "HCM-STP", "--webhook-url",
        "http://127.0.0.1:9/h",
      ], environment: laptop)
    #expect(allowed.status == 0, "\(allowed.stderr)")
    #expect(
      try await Self.scalar(configuration, "SELECT count(*)::int FROM portals WHERE code IN ('dvc-in', 'dvc-lan')") == 1
    )
    let hosts = try Self.run(
      ["portal", "set-return-hosts", "--code", "dvc-hcm", "--hosts", "DichVuCong.example.gov.vn, p.example"],
      environment: env)
    #expect(hosts.status == 0, "\(hosts.stderr)")
    #expect(
      try await Self.scalar(
        configuration,
        "SELECT count(*)::int FROM portals WHERE code = 'dvc-hcm' AND return_hosts = ARRAY['dichvucong.example.gov.vn', 'p.example']"
      ) == 1)
    #expect(
      try Self.run(["portal", "set-return-hosts", "--code", "dvc-hcm", "--hosts", "a/b"], environment: env).status != 0)
    let rotatedPortal = try Self.run(["portal", "rotate-secret", "--code", "dvc-hcm"], environment: env)
    #expect(rotatedPortal.status == 0, "\(rotatedPortal.stderr)")
    #expect(rotatedPortal.stdout.hasPrefix("whsec_"))
    #expect(rotatedPortal.stdout != portal.stdout)
    // `portal enable` turns a disabled endpoint (as after a 410) back on, in the database.
    try await withClient(configuration) { client in
      try await client.query("UPDATE portals SET webhook_enabled = false WHERE code = 'dvc-hcm'")
    }
    #expect(try Self.run(["portal", "enable", "--code", "dvc-hcm"], environment: env).status == 0)
    #expect(
      try await Self.scalar(configuration, "SELECT webhook_enabled::int FROM portals WHERE code = 'dvc-hcm'") == 1)
    let noPortal = try Self.run(["portal", "enable", "--code", "nope"], environment: env)
    #expect(noPortal.status != 0)
    #expect(noPortal.stderr.contains("no portal nope"))
    let unknownAgency = try Self.run(
      ["portal", "add", "--code", "dvc-x", "--name", "X", "--agencies", "NOPE"], environment: env)
    #expect(unknownAgency.status != 0)
    #expect(unknownAgency.stderr.contains("unknown agency NOPE"))

    let key = try Self.run(["key", "create", "--portal", "dvc-hcm"], environment: env)
    #expect(key.status == 0)
    let secret = key.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(secret.hasPrefix("fpk_"))
    let both = try Self.run(["key", "create", "--portal", "dvc-hcm", "--role", "admin"], environment: env)
    #expect(both.status != 0)
    let role = try Self.run(["key", "create", "--role", "accountant"], environment: env)
    #expect(role.status == 0)

    // People: a role a person cannot have is refused by name and adds nobody.
    let email = "cli.\(UInt32.random(in: 0...UInt32.max))@stp.gov.vn"
    let portalRole = try Self.run(
      ["staff", "add", "--email", email, "--name", "Trần Văn Bình", "--role", "portal"], environment: env)
    #expect(portalRole.status != 0)
    #expect(portalRole.stderr.contains("--role must be accountant, auditor or admin"), "\(portalRole.stderr)")
    #expect(!(try Self.run(["staff", "list"], environment: env).stdout.contains(email)))
    let added = try Self.run(
      ["staff", "add", "--email", email, "--name", "Trần Văn Bình", "--role", "auditor"], environment: env)
    #expect(added.status == 0, "\(added.stderr)")
    #expect(added.stdout.contains("/console/enrol/"))
    let people = try Self.run(["staff", "list"], environment: env).stdout
    #expect(people.split(separator: "\n").contains { $0.contains(email) && $0.contains("auditor") }, "\(people)")
    let list = try Self.run(["key", "list"], environment: env)
    #expect(list.stdout.contains(String(secret.prefix(12))))
    #expect(!list.stdout.contains(secret))
    let keyHash = SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    let revokedBefore: PostgresQuery =
      "SELECT count(*)::int FROM api_keys WHERE encode(key_hash, 'hex') = \(keyHash) AND revoked_at IS NOT NULL"
    #expect(try await Self.scalar(configuration, revokedBefore) == 0)
    let revoke = try Self.run(["key", "revoke", String(secret.prefix(12))], environment: env)
    #expect(revoke.status == 0, "\(revoke.stderr)")
    #expect(try await Self.scalar(configuration, revokedBefore) == 1, "the key is not revoked in the database")
    #expect(
      try await Self.scalar(configuration, "SELECT count(*)::int FROM api_keys WHERE revoked_at IS NOT NULL") == 1)
    let revokeAgain = try Self.run(["key", "revoke", secret], environment: env)
    #expect(revokeAgain.status != 0)
    #expect(revokeAgain.stderr.contains("already revoked"))
    let connector = try Self.run(
      [
        "connector", "add", "--code", "vcb", "--kind", "standard-webhooks", "--secret", WebhookSecret.generate(),
        "--agencies", "HCM-STP",
      ],
      environment: env)
    #expect(connector.status == 0, "\(connector.stderr)")
    #expect(
      try await Self.scalar(
        configuration,
        """
        SELECT count(*)::int FROM connectors c JOIN connector_agencies a ON a.connector_code = c.code
        WHERE c.code = 'vcb' AND c.kind = 'standard-webhooks' AND a.agency_code = 'HCM-STP'
          AND c.secret_sealed IS NOT NULL AND position(convert_to('whsec_', 'UTF8') in c.secret_sealed) = 0
        """) == 1)
    for bad in [
      ["--code", "x1", "--kind", "paypal"], ["--code", "x2", "--kind", "standard-webhooks"],
      ["--code", "x3", "--kind", "standard-webhooks", "--secret", "not-a-secret"],
      ["--code", "x4", "--kind", "standard-webhooks-ed25519", "--public-key", "whpk_short"],
      ["--code", "x5", "--kind", "vnpay", "--hash-secret", "SECRETSECRET"],
      ["--code", "vcb", "--kind", "vnpay", "--tmn-code", "T", "--hash-secret", "SECRETSECRET"],
    ] {
      let r = try Self.run(["connector", "add"] + bad, environment: env)
      #expect(r.status != 0, "\(bad)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
    let rotated = try Self.run(["connector", "rotate-secret", "--code", "vcb", "--grace-hours", "2"], environment: env)
    #expect(rotated.status == 0, "\(rotated.stderr)")
    #expect(rotated.stdout.hasPrefix("whsec_"))
    let connectors = try Self.run(["connector", "list"], environment: env)
    #expect(connectors.stdout.contains("vcb\tstandard-webhooks\tHCM-STP"))
    #expect(!connectors.stdout.contains("whsec_"))
    let statement = FileManager.default.temporaryDirectory.appendingPathComponent("stmt-\(UUID().uuidString).csv")
    defer { try? FileManager.default.removeItem(at: statement) }
    try
      "bank_txn_id,payment_code,amount,currency,paid_at,payer_account,memo\nVCB.9,,25000,VND,2026-11-29T10:00:00+07:00,,gift\n"
      .write(to: statement, atomically: true, encoding: .utf8)
    let reconciled = try Self.run(
      ["reconcile", "--connector", "vcb", "--date", "2026-11-29", statement.path], environment: env)
    #expect(reconciled.status == 0, "\(reconciled.stderr)")
    #expect(reconciled.stdout.contains("missing_in_feepay"))
    let reconciledAgain = try Self.run(
      ["reconcile", "--connector", "vcb", "--date", "2026-11-29", statement.path], environment: env)
    #expect(reconciledAgain.status != 0)
    #expect(reconciledAgain.stderr.contains("already imported"))
    let noMasterKey = try Self.run(
      ["portal", "add", "--code", "dvc-y", "--name", "Y", "--agencies", "HCM-STP"],
      environment: ["DATABASE_URL": env["DATABASE_URL"]!, "FEEPAY_MASTER_KEY": "short"])
    #expect(noMasterKey.status != 0)
    #expect(noMasterKey.stderr.contains("master key"))
    for bad in ["forever", "-1", "61"] {
      var serveEnv = env
      serveEnv["FEEPAY_CACHE_SECONDS"] = bad
      let refused = try Self.run(["serve", "--port", "1"], environment: serveEnv)
      #expect(refused.status != 0)
      #expect(refused.stderr.contains("FEEPAY_CACHE_SECONDS must be 0-60"), "\(refused.stderr)")
    }
  }

  /// `feepay serve` without DATABASE_URL: starts its own PostgreSQL, answers ready, stops
  /// cleanly on SIGTERM (PostgreSQL too), and starts again on the same data.
  @Test func embeddedPostgresStartsStopsAndRestarts() async throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "feepay-embedded-\(UUID().uuidString.prefix(8))")
    defer { try? FileManager.default.removeItem(at: root) }
    let port = try freeLoopbackPort()
    for round in 0..<2 {
      let process = Process()
      process.executableURL = Self.binary
      process.arguments = ["serve", "--port", "\(port)"]
      var env = ProcessInfo.processInfo.environment
      env.removeValue(forKey: "DATABASE_URL")
      env["FEEPAY_DATA_DIR"] = root.path
      env["FEEPAY_MIGRATIONS_DIR"] = TestEnvironment.migrationsDirectory.path
      env["LOG_LEVEL"] = "warning"
      process.environment = env
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      var ready = false
      for _ in 0..<120 where !ready {
        try await Task.sleep(for: .milliseconds(500))
        ready = await Self.status(of: "http://127.0.0.1:\(port)/health/ready") == 200
      }
      #expect(ready, "round \(round): /health/ready never answered 200")
      if round == 0 {
        // The demo walks an invoice through payment against the running service.
        let demo = try Self.run(
          ["demo", "--url", "http://127.0.0.1:\(port)"], environment: ["FEEPAY_DATA_DIR": root.path])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("is now paid"), "\(demo.stdout)")
        #expect(demo.stdout.contains("5. receipt "), "\(demo.stdout)")
        // A second serve on the same folder says clearly that it is in use.
        let second = try Self.run(["serve", "--port", "\(port + 1)"], environment: ["FEEPAY_DATA_DIR": root.path])
        #expect(second.status != 0)
        #expect(second.stderr.contains("in use"))
      }
      process.terminate()  // SIGTERM
      process.waitUntilExit()
      #expect(process.terminationStatus == 0)
      let pidFile = root.appendingPathComponent("postgres/data/postmaster.pid")
      #expect(!FileManager.default.fileExists(atPath: pidFile.path), "PostgreSQL was left running")
    }
  }

  /// A checkout in a folder only root may enter (root's home is 0700): `feepay serve` with the
  /// default data folder keeps the embedded cluster where its owner, `postgres`, can reach it,
  /// says where, and leaves the folder's mode alone.
  @Test(.enabled(if: geteuid() == 0)) func embeddedPostgresWorksFromAFolderOnlyRootMayEnter() async throws {
    let home = URL(fileURLWithPath: "/tmp/feepay-home-\(UUID().uuidString.prefix(8))")
    let checkout = home.appendingPathComponent("feepay")
    try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
    chmod(home.path, 0o700)
    let cluster = EmbeddedPostgres.outsideDirectory(for: checkout.appendingPathComponent(".feepay"))
    defer {
      try? FileManager.default.removeItem(at: home)
      try? FileManager.default.removeItem(at: cluster.deletingLastPathComponent())
    }
    let port = try freeLoopbackPort()
    let process = Process()
    process.executableURL = Self.binary
    process.arguments = ["serve", "--port", "\(port)"]
    process.currentDirectoryURL = checkout
    var env = ProcessInfo.processInfo.environment
    for name in ["DATABASE_URL", "FEEPAY_DATA_DIR"] { env.removeValue(forKey: name) }
    env["FEEPAY_MIGRATIONS_DIR"] = TestEnvironment.migrationsDirectory.path
    env["LOG_LEVEL"] = "notice"
    process.environment = env
    let log = home.appendingPathComponent("serve.log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    var ready = false
    for _ in 0..<120 where !ready {
      try await Task.sleep(for: .milliseconds(500))
      ready = await Self.status(of: "http://127.0.0.1:\(port)/health/ready") == 200
    }
    process.terminate()
    process.waitUntilExit()
    try handle.close()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    #expect(ready, "/health/ready never answered 200: \(output)")
    #expect(process.terminationStatus == 0)
    #expect(output.contains("kept outside the data folder") && output.contains(cluster.path), "\(output)")
    #expect(FileManager.default.fileExists(atPath: cluster.appendingPathComponent("data/PG_VERSION").path))
    var info = stat()
    #expect(stat(home.path, &info) == 0 && info.st_mode & 0o777 == 0o700, "the folder's mode was changed")
    #expect(!FileManager.default.fileExists(atPath: cluster.appendingPathComponent("data/postmaster.pid").path))
  }

  static func status(of url: String) async -> Int? {
    var request = URLRequest(url: URL(string: url)!)
    request.timeoutInterval = 2
    guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
    return (response as? HTTPURLResponse)?.statusCode
  }
}
