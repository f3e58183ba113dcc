import AsyncHTTPClient
import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A real `feepay serve` process, the way production runs it: its own process, its own
/// connection pool (16 unless `FEEPAY_DB_POOL_SIZE` says otherwise), real HTTP on loopback.
/// Tests that claim "exactly once" or "nothing changed" against concurrency or faults use
/// it instead of the in-process router.
final class ServedFeePay: Sendable {
  let process: Process
  let port: Int
  let http: HTTPClient
  let logFile: URL
  let databaseURL: String
  let masterKey: String

  private init(process: Process, port: Int, http: HTTPClient, logFile: URL, databaseURL: String, masterKey: String) {
    self.process = process
    self.port = port
    self.http = http
    self.logFile = logFile
    self.databaseURL = databaseURL
    self.masterKey = masterKey
  }

  /// Another `feepay serve` on the same database with the same master key.
  func another(environment: [String: String] = [:], receivesSignals: Bool = false) async throws -> ServedFeePay {
    try await Self.start(
      databaseURL: databaseURL, masterKey: masterKey, environment: environment, receivesSignals: receivesSignals)
  }

  var baseURL: String { "http://127.0.0.1:\(port)" }

  /// Starts `feepay serve` against `databaseURL` and waits (at most 60 s) until it is ready.
  /// A process spawned from the test runner inherits its blocked signal mask, so SIGTERM
  /// would never arrive; with `receivesSignals` it is started through a two-line Python
  /// shim that unblocks SIGTERM and SIGINT and then execs `feepay` (same pid).
  ///
  /// With `fileSizeLimit` the process runs under `RLIMIT_FSIZE` of that many bytes (set by a
  /// Python shim that then execs `feepay`): a write past it fails as on a full disk.
  static func start(
    databaseURL: String, masterKey: String, environment: [String: String] = [:], receivesSignals: Bool = false,
    fileSizeLimit: Int? = nil
  ) async throws -> ServedFeePay {
    let port = try freeLoopbackPort()
    let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("feepay-served-\(port).log")
    _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
    let process = Process()
    let serve = ["serve", "--host", "127.0.0.1", "--port", "\(port)"]
    if receivesSignals {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments =
        [
          "python3", "-c",
          "import os, signal, sys; signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT]); os.execv(sys.argv[1], sys.argv[1:])",
          CommandLineTests.binary.path,
        ] + serve
    } else if let fileSizeLimit {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments =
        [
          "python3", "-c",
          "import os, resource, sys; n = int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_FSIZE, (n, n)); os.execv(sys.argv[2], sys.argv[2:])",
          "\(fileSizeLimit)", CommandLineTests.binary.path,
        ] + serve
    } else {
      process.executableURL = CommandLineTests.binary
      process.arguments = serve
    }
    var env = ProcessInfo.processInfo.environment
    env["DATABASE_URL"] = databaseURL
    env["FEEPAY_MASTER_KEY"] = masterKey
    env["FEEPAY_MIGRATIONS_DIR"] = TestEnvironment.migrationsDirectory.path
    env["FEEPAY_PUBLIC_URL"] = "https://pay.example.vn"
    env["LOG_LEVEL"] = "error"
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let log = try FileHandle(forWritingTo: logFile)
    process.standardOutput = log
    process.standardError = log
    try process.run()
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 128
    configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let served = ServedFeePay(
      process: process, port: port, http: http, logFile: logFile, databaseURL: databaseURL, masterKey: masterKey)
    let deadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < deadline {
      if !process.isRunning {
        try? await http.shutdown()
        throw FeePayError(.internalError, "feepay serve exited: \(served.log.suffix(2000))")
      }
      if let r = try? await served.send(.GET, "/health/ready"), r.code == 200 { return served }
      try await Task.sleep(for: .milliseconds(100))
    }
    await served.stop()
    throw FeePayError(.internalError, "feepay serve was not ready within 60 s: \(served.log.suffix(2000))")
  }

  var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

  /// SIGKILL: nothing of the process's survives but what it had committed. (A process
  /// spawned from the test runner inherits its blocked signal mask, so SIGTERM would not
  /// arrive.)
  func stop(failed: Bool = false) async {
    if failed { print("feepay serve on port \(port) logged:\n\(log.suffix(4000))") }
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    try? await http.shutdown()
    // The runtime role must have every privilege the service uses: a refusal anywhere (a
    // background worker's included) fails the test that served it.
    let logged = log
    if let refused = logged.split(separator: "\n").first(where: {
      $0.contains("permission denied") || $0.contains("42501")
    }) {
      Issue.record("feepay serve on port \(port) was refused a privilege: \(refused.prefix(600))")
    }
    try? FileManager.default.removeItem(at: logFile)
  }

  struct Reply: Sendable {
    let code: Int
    let headers: HTTPHeaders
    let bytes: [UInt8]
    var json: JSONValue { (try? JSONValue.parse(bytes)) ?? .null }
    var problemCode: String? { json["code"]?.stringValue }
  }

  /// One request; the reply whatever its status.
  func send(
    _ method: HTTPMethod, _ uri: String, key: String? = nil, json: JSONValue? = nil, raw: [UInt8]? = nil,
    headers extra: [String: String] = [:], contentType: String = "application/json"
  ) async throws -> Reply {
    var request = HTTPClientRequest(url: baseURL + uri)
    request.method = method
    if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
    if let bytes = raw ?? json.map({ Array($0.jsonText.utf8) }) {
      request.headers.add(name: "Content-Type", value: contentType)
      request.body = .bytes(ByteBuffer(bytes: bytes))
    }
    for (name, value) in extra { request.headers.replaceOrAdd(name: name, value: value) }
    let response = try await http.execute(request, timeout: .seconds(60))
    let body = try await response.body.collect(upTo: 16 << 20)
    return Reply(code: Int(response.status.code), headers: response.headers, bytes: Array(body.readableBytesView))
  }

  func createInvoice(_ body: JSONValue, key: String, idempotencyKey: String = UUID().uuidString) async throws -> Reply {
    try await send(.POST, "/v1/invoices", key: key, json: body, headers: ["Idempotency-Key": idempotencyKey])
  }

  /// Creates an invoice for `world`'s portal and answers (id, payment code, total).
  func invoice(_ world: TestWorld) async throws -> (id: String, code: String, total: Int64) {
    let r = try await createInvoice(world.invoiceBody(), key: world.portalKey)
    guard r.code == 201, let id = r.json["id"]?.stringValue, let code = r.json["payment_code"]?.stringValue,
      let total = r.json["total_amount"]?.intValue
    else { throw FeePayError(.internalError, "could not create an invoice: \(r.code) \(r.json)") }
    return (id, code, total)
  }

  /// Posts a signed callback from `bank` as a bank would.
  func pay(_ bank: TestBank, code: String?, amount: Int64, txn: String = UUID().uuidString) async throws -> Reply {
    let body = TestBank.body(paymentCode: code, amount: amount, txn: txn, paidAt: Date())
    return try await send(
      .POST, "/v1/callbacks/\(bank.code)", raw: body, headers: bank.headers(for: body, timestamp: Date()))
  }

  /// Opens `count` keep-alive connections at once, so that a burst that follows starts on
  /// connections that already exist instead of queueing behind their set-up.
  func warmUp(connections count: Int) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<count { group.addTask { _ = try await self.send(.GET, "/health/live") } }
      try await group.waitForAll()
    }
  }
}

/// Runs `count` copies of `operation` at once and answers their results, with how many were
/// in flight together: the largest number that had started before any of them finished. A
/// concurrency test requires that number to be well above one, so it cannot pass because
/// the requests happened to run one after another.
func burst<T: Sendable>(_ count: Int, _ operation: @escaping @Sendable (Int) async throws -> T) async throws -> (
  results: [T], inFlight: Int
) {
  let clock = ContinuousClock()
  let started = clock.now
  let outcomes = try await withThrowingTaskGroup(of: (T, Duration, Duration).self) { group in
    for i in 0..<count {
      group.addTask {
        let begin = clock.now - started
        let value = try await operation(i)
        return (value, begin, clock.now - started)
      }
    }
    var all: [(T, Duration, Duration)] = []
    for try await outcome in group { all.append(outcome) }
    return all
  }
  let firstEnd = outcomes.map(\.2).min() ?? .zero
  return (outcomes.map(\.0), outcomes.filter { $0.1 < firstEnd }.count)
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
func freeLoopbackPort() throws -> Int {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { throw FeePayError(.internalError, "socket() failed") }
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  address.sin_port = 0
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
      bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
    }
  }
  guard bound else { throw FeePayError(.internalError, "bind() failed") }
  return Int(UInt16(bigEndian: address.sin_port))
}

/// Sends one raw HTTP/1.1 request to 127.0.0.1:`port` and returns the open socket without
/// reading the reply; `abandon` then resets the connection (SO_LINGER 0), so the reply is
/// lost as it is when a network drops it.
struct RawConnection {
  let fd: Int32

  init(port: Int, request: [UInt8]) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw FeePayError(.internalError, "socket() failed") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
    guard connected else {
      close(fd)
      throw FeePayError(.internalError, "connect() failed")
    }
    var sent = 0
    while sent < request.count {
      let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      guard n > 0 else {
        close(fd)
        throw FeePayError(.internalError, "write() failed")
      }
      sent += n
    }
  }

  /// Resets the connection: whatever the server answers, or is about to answer, is lost.
  func abandon() {
    var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    close(fd)
  }

  /// The bytes of an HTTP/1.1 request.
  static func request(
    _ method: String, _ path: String, headers: [String: String], body: [UInt8]
  ) -> [UInt8] {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n"
    for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
    head += "\r\n"
    return Array(head.utf8) + body
  }
}

/// Polls `condition` every 50 ms until it holds; fails the test (throws) after `timeout`.
func waitUntil(
  _ what: String, timeout: Duration = .seconds(30), _ condition: @Sendable () async throws -> Bool
) async throws {
  let deadline = ContinuousClock.now + timeout
  while ContinuousClock.now < deadline {
    if try await condition() { return }
    try await Task.sleep(for: .milliseconds(50))
  }
  throw FeePayError(.internalError, "timed out after \(timeout) waiting until \(what)")
}

/// A fresh migrated database, a ``TestWorld`` seeded into it, and `feepay serve` running
/// against it as the runtime role (``TestEnvironment/runtimeRole``, the owner migrating),
/// stopped afterwards, whatever happens. The database is the test's own: the
/// served process's background workers (receipts, expiry, webhooks) see only its rows.
func withServedFeePay(
  environment: [String: String] = [:], fileSizeLimit: Int? = nil,
  _ body: @escaping @Sendable (TestWorld, ServedFeePay, PostgresClient.Configuration) async throws -> Void
) async throws {
  let configuration = try await TestEnvironment.shared.migratedDatabase()
  let masterKey = SecretBox.generateMasterKey()
  let secrets = try SecretBox(base64: masterKey)
  let database = Database(configuration: configuration, poolSize: 4, logger: TestEnvironment.logger)
  try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { await database.client.run() }
    defer { group.cancelAll() }
    let world = try await TestWorld.seed(database: database, clock: ManualClock(Date()), secrets: secrets)
    // Served as in production: the runtime role serves, the owner migrates (at start).
    let served = try await ServedFeePay.start(
      databaseURL: CommandLineTests.url(for: TestEnvironment.runtime(configuration)), masterKey: masterKey,
      environment: ["DATABASE_OWNER_URL": CommandLineTests.url(for: configuration)].merging(environment) { $1 },
      fileSizeLimit: fileSizeLimit)
    do {
      try await body(world, served, configuration)
      await served.stop()
    } catch {
      await served.stop(failed: true)
      throw error
    }
  }
}
