public import FeePayCore
public import Foundation
public import Logging
import NIOCore
import NIOPosix
public import PostgresNIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A private PostgreSQL cluster for a laptop and for tests, made with the machine's own
/// `initdb` and `pg_ctl`: under `<root>/postgres`, listening only on a Unix socket in that
/// folder (trust authentication; the folder is private to the cluster's owner). Created on
/// first use, reused on the next. As root it runs the server as the `postgres` user, since
/// PostgreSQL refuses to run as root.
public final class EmbeddedPostgres: Sendable {
  public let root: URL
  let logger: Logger
  let binDirectory: String
  let runAs: (name: String, uid: uid_t, gid: gid_t)?

  /// `<root>/postgres`, or, when the user PostgreSQL runs as cannot reach `root` (a checkout
  /// in root's 0700 home), a folder of its own under `/var/lib/feepay/` (or the system temp
  /// directory) named after the checkout, so that two checkouts never share one.
  public let clusterDirectory: URL
  /// Whether the cluster lives outside `root` because its owner could not reach `root`.
  public let relocated: Bool
  var dataDirectory: URL { clusterDirectory.appendingPathComponent("data") }
  var logFile: URL { clusterDirectory.appendingPathComponent("postgres.log") }
  static let port = 5432
  static let superuser = "feepay"
  /// The role `feepay serve` and the commands work as: no superuser, owner of nothing
  /// (Migrations/0017 grants what it needs). The superuser owns the schema and migrates.
  public static let runtimeRole = "feepay_app"
  static let database = "feepay"

  /// Finds the PostgreSQL binaries and prepares to use `root` (`.feepay` by default).
  public init(root: URL, logger: Logger) throws(FeePayError) {
    self.root = root
    self.logger = logger
    guard let bin = Self.findBinaries() else {
      throw FeePayError(
        .configuration,
        "PostgreSQL server binaries (initdb, pg_ctl) were not found via pg_config, PATH or /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@15) or set DATABASE_URL to an existing server."
      )
    }
    self.binDirectory = bin
    if geteuid() == 0 {
      guard let pw = getpwnam("postgres") else {
        throw FeePayError(
          .configuration,
          "running as root, but there is no 'postgres' user to run the embedded PostgreSQL (PostgreSQL refuses root); create one (useradd -r postgres) or set DATABASE_URL"
        )
      }
      runAs = ("postgres", pw.pointee.pw_uid, pw.pointee.pw_gid)
    } else {
      runAs = nil
    }
    let inside = root.appendingPathComponent("postgres")
    // `root` itself is made (or re-moded) 0711 by `start()`; the folders above it are the user's.
    if let runAs, !Self.reachable(root.deletingLastPathComponent(), uid: runAs.uid, gid: runAs.gid) {
      clusterDirectory = Self.outsideDirectory(for: root)
      relocated = true
    } else {
      clusterDirectory = inside
      relocated = false
    }
  }

  /// Whether a process of `uid`/`gid` can traverse every existing folder down to `url`.
  static func reachable(_ url: URL, uid: uid_t, gid: gid_t) -> Bool {
    let components = url.standardizedFileURL.pathComponents.filter { $0 != "/" }
    let paths = ["/"] + components.indices.map { "/" + components[...$0].joined(separator: "/") }
    for path in paths {
      var info = stat()
      guard stat(path, &info) == 0 else { return true }  // not there yet: made by us, with our modes
      let mode = info.st_mode
      let searchable =
        info.st_uid == uid ? mode & 0o100 != 0 : info.st_gid == gid ? mode & 0o010 != 0 : mode & 0o001 != 0
      if !searchable { return false }
    }
    return true
  }

  /// `/var/lib/feepay/<checkout>-<hash of its path>/postgres` if `/var/lib` is writable, else
  /// the same under the system temp directory. Never a loosening of the checkout's permissions.
  public static func outsideDirectory(for root: URL) -> URL {
    let path = root.standardizedFileURL.path
    let digest = path.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    let checkout = root.standardizedFileURL.deletingLastPathComponent().lastPathComponent
    let safe = String(
      checkout.unicodeScalars.map {
        $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) ? Character($0) : "-"
      })
    let name = "\(safe.prefix(40))-\(String(digest, radix: 36))"
    let base =
      access("/var/lib", W_OK) == 0 ? "/var/lib/feepay" : FileManager.default.temporaryDirectory.path + "/feepay"
    return URL(fileURLWithPath: base).appendingPathComponent(name).appendingPathComponent("postgres")
  }

  /// The directory holding the socket. Unix socket paths are limited to about 100 bytes, so
  /// a deep folder gets a short private directory under /tmp instead.
  var socketDirectory: URL {
    let inside = clusterDirectory.appendingPathComponent("run")
    if inside.path.utf8.count + 20 < 100 { return inside }
    let digest = root.standardizedFileURL.path.utf8.reduce(UInt64(14_695_981_039_346_656_037)) {
      ($0 ^ UInt64($1)) &* 1_099_511_628_211
    }
    return URL(fileURLWithPath: "/tmp/feepay-pg-\(String(digest, radix: 36))")
  }

  /// Whether the cluster's postmaster is running.
  public func isRunning() -> Bool {
    (try? run("pg_ctl", ["status", "-D", dataDirectory.path]).status) == 0
  }

  /// Creates the cluster if needed and starts it if it is not running. Answers whether this
  /// call started it (and so should stop it), the superuser's client configuration (the
  /// schema's owner, which migrates) and the runtime role's (``runtimeRole``).
  public func start() async throws -> (
    startedHere: Bool, configuration: PostgresClient.Configuration, runtime: PostgresClient.Configuration
  ) {
    let fm = FileManager.default
    try fm.createDirectory(at: root, withIntermediateDirectories: true)
    // The cluster's owner must be able to reach its folder through ours.
    chmod(root.path, runAs == nil ? 0o700 : 0o711)
    if relocated {
      // The folders above the cluster stay root's, readable and searchable by all (0755), as
      // /var/lib's are; the cluster's own folder is its owner's alone.
      let parent = clusterDirectory.deletingLastPathComponent()
      try fm.createDirectory(at: parent, withIntermediateDirectories: true)
      chmod(parent.deletingLastPathComponent().path, 0o755)
      chmod(parent.path, 0o755)
      logger.notice(
        "the embedded PostgreSQL cluster is kept outside the data folder, which its owner cannot reach",
        metadata: [
          "cluster": "\(clusterDirectory.path)", "data_folder": "\(root.path)", "owner": "\(runAs?.name ?? "")",
        ])
    }
    try fm.createDirectory(at: clusterDirectory, withIntermediateDirectories: true)
    try fm.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
    for dir in [clusterDirectory, socketDirectory] {
      chmod(dir.path, 0o700)
      if let runAs { chown(dir.path, runAs.uid, runAs.gid) }
    }

    if !fm.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
      logger.info("creating embedded PostgreSQL cluster", metadata: ["path": "\(dataDirectory.path)"])
      let result = try run(
        "initdb",
        ["-D", dataDirectory.path, "-U", Self.superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"])
      guard result.status == 0 else {
        throw FeePayError(.configuration, "initdb failed: \(result.output.lastLines(3))")
      }
      let conf = dataDirectory.appendingPathComponent("postgresql.conf")
      let handle = try FileHandle(forWritingTo: conf)
      handle.seekToEndOfFile()
      handle.write(Data("\n# FeePay embedded settings\ninclude_if_exists = 'feepay.conf'\n".utf8))
      try handle.close()
    }

    var startedHere = false
    if !isRunning() {
      let settings = """
        listen_addresses = ''
        unix_socket_directories = '\(socketDirectory.path)'
        unix_socket_permissions = 0700
        port = \(Self.port)
        max_connections = 200
        timezone = 'UTC'

        """
      let settingsFile = dataDirectory.appendingPathComponent("feepay.conf")
      try Data(settings.utf8).write(to: settingsFile)
      if let runAs { chown(settingsFile.path, runAs.uid, runAs.gid) }
      logger.info("starting embedded PostgreSQL", metadata: ["socket": "\(socketDirectory.path)"])
      let result = try run("pg_ctl", ["start", "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60"])
      guard result.status == 0 else {
        let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        throw FeePayError(.configuration, "pg_ctl start failed: \(result.output.lastLines(2)) \(log.lastLines(3))")
      }
      startedHere = true
    } else {
      logger.info("reusing the running embedded PostgreSQL", metadata: ["path": "\(dataDirectory.path)"])
    }

    let socketPath = try runningSocketDirectory() + "/.s.PGSQL.\(Self.port)"
    try await createDatabaseIfNeeded(socketPath: socketPath)
    return (
      startedHere,
      PostgresClient.Configuration(
        unixSocketPath: socketPath, username: Self.superuser, password: nil, database: Self.database),
      PostgresClient.Configuration(
        unixSocketPath: socketPath, username: Self.runtimeRole, password: nil, database: Self.database)
    )
  }

  /// Stops the cluster (fast shutdown: open sessions are ended, committed work is safe).
  public func stop() throws {
    logger.info("stopping embedded PostgreSQL")
    let result = try run("pg_ctl", ["stop", "-D", dataDirectory.path, "-m", "fast", "-w", "-t", "60"])
    if result.status != 0 {
      throw FeePayError(.configuration, "pg_ctl stop failed: \(result.output.lastLines(2))")
    }
  }

  /// The socket directory the running postmaster uses (line 5 of postmaster.pid).
  func runningSocketDirectory() throws -> String {
    let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
    guard let text = try? String(contentsOf: pidFile, encoding: .utf8) else {
      throw FeePayError(.configuration, "the embedded PostgreSQL is not running (no postmaster.pid)")
    }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard lines.count > 4, !lines[4].isEmpty else { return socketDirectory.path }
    return String(lines[4])
  }

  func createDatabaseIfNeeded(socketPath: String) async throws {
    let config = PostgresConnection.Configuration(
      unixSocketPath: socketPath, username: Self.superuser, password: nil, database: "postgres")
    let connection = try await PostgresConnection.connect(configuration: config, id: 0, logger: logger)
    do {
      let rows = try await connection.query(
        "SELECT 1 FROM pg_database WHERE datname = \(Self.database)", logger: logger
      ).collect()
      if rows.isEmpty {
        try await connection.query("CREATE DATABASE \(unescaped: Self.database)", logger: logger)
      }
      let role = try await connection.query(
        "SELECT 1 FROM pg_roles WHERE rolname = \(Self.runtimeRole)", logger: logger
      ).collect()
      if role.isEmpty {
        try await connection.query("CREATE ROLE \(unescaped: Self.runtimeRole) LOGIN", logger: logger)
      }
      try await connection.close()
    } catch {
      try? await connection.close()
      throw error
    }
  }

  /// Runs one of the cluster's binaries (as the `postgres` user when we are root) and
  /// answers its exit status and combined output.
  func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let executable = binDirectory + "/" + tool
    let argv: [String]
    if let runAs {
      argv = [Self.which("runuser") ?? "/sbin/runuser", "-u", runAs.name, "--", executable] + arguments
    } else {
      argv = [executable] + arguments
    }
    // Output goes to a file, not a pipe: the postmaster that `pg_ctl start` leaves running
    // inherits the descriptors and would hold a pipe open for its whole life. (Foundation's
    // Process waits for such inherited descriptors too, so this spawns directly.)
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("feepay-pg-\(UUID().uuidString).out")
      .path
    defer { unlink(outputPath) }
    let status = try Self.spawnAndWait(argv, outputPath: outputPath)
    let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    return (status, text)
  }

  /// `posix_spawn` + `waitpid`: standard input from /dev/null, output to `outputPath`.
  static func spawnAndWait(_ argv: [String], outputPath: String) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
    guard rc == 0 else {
      throw FeePayError(.configuration, "cannot run \(argv[0]): \(String(cString: strerror(rc)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      guard errno == EINTR else { throw FeePayError(.configuration, "waitpid failed for \(argv[0])") }
    }
    // WIFEXITED / WEXITSTATUS, which Swift does not import as macros.
    return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
  }

  static func which(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
    for dir in path.split(separator: ":") + ["/usr/sbin", "/sbin"] {
      let candidate = "\(dir)/\(name)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// `pg_config --bindir`, then `PATH`, then the newest `/usr/lib/postgresql/*/bin`.
  static func findBinaries() -> String? {
    func hasServer(_ dir: String) -> Bool {
      FileManager.default.isExecutableFile(atPath: dir + "/initdb")
        && FileManager.default.isExecutableFile(atPath: dir + "/pg_ctl")
        && FileManager.default.isExecutableFile(atPath: dir + "/postgres")
    }
    if let override = ProcessInfo.processInfo.environment["FEEPAY_PG_BINDIR"], hasServer(override) { return override }
    if let pgConfig = which("pg_config") {
      let process = Process()
      let pipe = Pipe()
      process.executableURL = URL(fileURLWithPath: pgConfig)
      process.arguments = ["--bindir"]
      process.standardOutput = pipe
      process.standardError = FileHandle.nullDevice
      if (try? process.run()) != nil {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let dir = String(decoding: data, as: UTF8.self).trimmingWhitespace()
        if process.terminationStatus == 0, hasServer(dir) { return dir }
      }
    }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for dir in path.split(separator: ":").map(String.init) where hasServer(dir) {
      // A PATH entry may hold links; resolve to where `postgres` really lives.
      let real = URL(fileURLWithPath: dir + "/postgres").resolvingSymlinksInPath().deletingLastPathComponent().path
      return hasServer(real) ? real : dir
    }
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
    for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
      let dir = "/usr/lib/postgresql/\(version)/bin"
      if hasServer(dir) { return dir }
    }
    return nil
  }
}

/// An exclusive lock on a file (`flock`), held for the life of the process: it tells a
/// second `feepay serve` that the data folder is in use, and by whom.
public final class ProcessLock: Sendable {
  let descriptor: Int32

  /// Takes the lock or answers `nil` with the pid written by the holder.
  public static func acquire(_ url: URL) -> Result<ProcessLock, HeldBy> {
    let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return .failure(HeldBy(pid: nil)) }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let text = (try? String(contentsOf: url, encoding: .utf8))?.trimmingWhitespace()
      close(fd)
      return .failure(HeldBy(pid: text.flatMap { Int32($0) }))
    }
    ftruncate(fd, 0)
    let pid = "\(getpid())\n"
    _ = pid.withCString { write(fd, $0, strlen($0)) }
    return .success(ProcessLock(descriptor: fd))
  }

  public struct HeldBy: Error, Sendable {
    public let pid: Int32?
  }

  init(descriptor: Int32) { self.descriptor = descriptor }

  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}

extension String {
  func lastLines(_ count: Int) -> String {
    split(separator: "\n").suffix(count).joined(separator: " | ")
  }
}
