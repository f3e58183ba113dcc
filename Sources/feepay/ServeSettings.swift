import Configuration
import FeePayCore
import FeePayServer
import Foundation
import Logging

/// Every variable FeePay reads from its environment: one table that `feepay serve` reads
/// once (through swift-configuration's environment provider), that refuses every bad value
/// with its own message, and that `feepay settings` prints as the README's table (a test
/// holds the two equal).
struct ServeSetting: Sendable {
  /// The configuration key (`feepay.cache.seconds`), read from the variable `FEEPAY_CACHE_SECONDS`.
  var key: String
  var meaning: String
  /// How `serve` applies a value, or the problem with it (`nil` for variables read elsewhere,
  /// such as `DATABASE_URL`, which `Runtime` reads).
  var apply: (@Sendable (String, inout ServeConfiguration) -> String?)?

  /// The environment variable: the key's parts joined by `_`, upper-cased.
  var variable: String { key.split(separator: ".").joined(separator: "_").uppercased() }
}

/// What `feepay serve` runs with: the application's settings and its database pool's.
struct ServeConfiguration {
  var app = AppConfiguration()
  /// Connections per instance (`FEEPAY_DB_POOL_SIZE`).
  var poolSize = 16
  /// How long a request waits for a pooled connection before it is answered 503
  /// (`FEEPAY_DB_WAIT_SECONDS`).
  var databaseWait: Duration = .seconds(10)
}

enum ServeSettings {
  /// A whole number in `range`, or the message for one that is not.
  static func number(_ text: String, _ range: ClosedRange<Int>, _ what: String) -> (Int?, String?) {
    guard let n = Int(text), range.contains(n) else { return (nil, "must be \(what)") }
    return (n, nil)
  }

  static let all: [ServeSetting] = [
    ServeSetting(
      key: "database.url",
      meaning:
        "`postgres://user:pass@host:5432/db?sslmode=require` selects an external PostgreSQL. `sslmode` follows libpq: `disable`, `prefer` (default), `require`, `verify-full`; `?host=/run/postgresql` uses a Unix socket. Without it FeePay runs the embedded PostgreSQL. This is the **runtime role** FeePay works as: give it a role of its own that owns nothing (README, \"Two database roles\")."
    ),
    ServeSetting(
      key: "database.owner.url",
      meaning:
        "the schema owner's URL, used only to apply migrations (`feepay migrate`, and `serve` at start) and then to grant `DATABASE_URL`'s role what the service needs; unset, migrations run as `DATABASE_URL` (which must then own the schema). The embedded PostgreSQL has both: its superuser migrates, `feepay_app` serves."
    ),
    ServeSetting(key: "feepay.data.dir", meaning: "the embedded data folder (default `./.feepay`)"),
    ServeSetting(
      key: "feepay.master.key",
      meaning:
        "32 random bytes, base64 (`openssl rand -base64 32`): seals stored secrets with AES-256-GCM. Required with `DATABASE_URL` (or `FEEPAY_MASTER_KEY_FILE`, a file holding it); with the embedded database FeePay creates `.feepay/master.key` (mode 0600). A database dump alone reveals no secret."
    ),
    ServeSetting(key: "feepay.master.key.file", meaning: "a file holding `FEEPAY_MASTER_KEY`"),
    ServeSetting(
      key: "feepay.public.url", meaning: "base of citizen-facing links (`payment_url`), default `http://HOST:PORT`"
    ) { text, c in
      guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
        return "must be an http(s) URL"
      }
      c.app.publicBaseURL = text
      return nil
    },
    ServeSetting(key: "feepay.host", meaning: "the default of `serve --host`"),
    ServeSetting(key: "feepay.port", meaning: "the default of `serve --port`"),
    ServeSetting(
      key: "feepay.db.pool.size",
      meaning: "connections per instance (default 16, 1-200; keep instances × pool < `max_connections`)"
    ) { text, c in
      let (n, problem) = number(text, 1...200, "1-200")
      if let n { c.poolSize = n }
      return problem
    },
    ServeSetting(
      key: "feepay.db.wait.seconds",
      meaning:
        "how long a request waits for a free connection before it is answered `503 unavailable` (default 10, 1-120): while PostgreSQL is down, requests are refused after this long instead of waiting until it is back"
    ) { text, c in
      let (n, problem) = number(text, 1...120, "1-120")
      if let n { c.databaseWait = .seconds(n) }
      return problem
    },
    ServeSetting(
      key: "feepay.payment.code.prefix", meaning: "2 Crockford base32 characters (default `FP`)"
    ) { text, c in
      guard PaymentCode.isValidPrefix(text) else { return "must be 2 characters of 0-9, A-Z without I, L, O, U" }
      c.app.paymentCodePrefix = text
      return nil
    },
    ServeSetting(
      key: "feepay.vnpay.url",
      meaning:
        "VNPay's payment page for checkout URLs (default: the sandbox, `https://sandbox.vnpayment.vn/paymentv2/vpcpay.html`)"
    ) { text, c in
      guard URL(string: text)?.scheme == "https" else { return "must be an https URL" }
      c.app.vnpayGateway = text
      return nil
    },
    ServeSetting(
      key: "feepay.webhook.retry.schedule",
      meaning: "delays between webhook attempts, default `5s,5m,30m,2h,5h,10h,10h`"
    ) { text, c in
      guard let schedule = RetrySchedule(parsing: text) else { return "must look like 5s,5m,30m,2h" }
      c.app.webhooks?.schedule = schedule
      return nil
    },
    ServeSetting(
      key: "feepay.webhook.timeout.seconds", meaning: "how long a portal has to answer a webhook (default 15, 1-120)"
    ) { text, c in
      let (n, problem) = number(text, 1...120, "1-120")
      if let n { c.app.webhooks?.timeout = .seconds(n) }
      return problem
    },
    ServeSetting(
      key: "feepay.webhook.allow.private",
      meaning:
        "`1` lets webhooks go to loopback, private, link-local and other non-public addresses and over plain http; `0` refuses them, checked at `portal add` and again at every send (default `1` with the embedded database, which says so in its log, `0` with `DATABASE_URL`)"
    ) { text, c in
      guard text == "1" || text == "0" else { return "must be 1 or 0" }
      c.app.webhooks?.allowPrivate = text == "1"
      return nil
    },
    ServeSetting(
      key: "feepay.receipt.interval.ms",
      meaning: "how often the receipt issuer looks for paid invoices (default 1000; 0 turns it off)"
    ) { text, c in
      let (n, problem) = number(text, 0...3_600_000, "a number of milliseconds (0 turns the issuer off)")
      if let n { c.app.receiptInterval = n == 0 ? nil : .milliseconds(n) }
      return problem
    },
    ServeSetting(
      key: "feepay.cache.seconds",
      meaning:
        "how long an instance keeps API keys' principals, connectors' secrets and agencies' bank accounts in memory (default 5, 0-60; 0 turns the caches off). See \"Performance\" for what may be stale and why that is safe."
    ) { text, c in
      let (n, problem) = number(text, 0...60, "0-60 (0 turns the caches off)")
      if let n { c.app.cacheLifetime = TimeInterval(n) }
      return problem
    },
    ServeSetting(
      key: "feepay.page.rate.limit",
      meaning:
        "lookups of citizen pages (`/pay/…`, `/receipts/…`) one client address may make per minute on one instance (default 120, 1-100000); more are answered 429 with `Retry-After`"
    ) { text, c in
      let (n, problem) = number(text, 1...100_000, "1-100000 requests per minute")
      if let n { c.app.pageRequestsPerMinute = n }
      return problem
    },
    ServeSetting(
      key: "feepay.trusted.proxies",
      meaning:
        "comma-separated IP addresses of the reverse proxies in front of FeePay; from them the citizen's address (rate limit, VNPay) is read from `X-Forwarded-For` (default none: the header is ignored)"
    ) { text, c in
      let addresses = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      guard !addresses.isEmpty,
        addresses.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isHexDigit || $0 == "." || $0 == ":" } })
      else { return "must be comma-separated IP addresses" }
      c.app.trustedProxies = Set(addresses)
      return nil
    },
    ServeSetting(
      key: "feepay.max.statement.bytes",
      meaning: "the largest settlement file accepted (default 536870912, 512 MiB)"
    ) { text, c in
      let (n, problem) = number(text, 1...Int.max, "a positive number of bytes")
      if let n { c.app.maxStatementBytes = n }
      return problem
    },
    ServeSetting(
      key: "feepay.spool.dir",
      meaning:
        "FeePay's folder for statement uploads while they are imported (default `FEEPAY_DATA_DIR/tmp`; created 0700, files 0600); when its disk is full an upload is answered `507 insufficient_storage` and the server runs on"
    ) { text, c in
      guard text.hasPrefix("/") else { return "must be an absolute path" }
      c.app.spoolDirectory = URL(fileURLWithPath: text)
      return nil
    },
    ServeSetting(
      key: "feepay.max.uploads",
      meaning:
        "statement uploads one instance imports at once, API and console together (default 4, 1-64); more are answered `429` with `Retry-After`"
    ) { text, c in
      let (n, problem) = number(text, 1...64, "1-64")
      if let n { c.app.maxConcurrentUploads = n }
      return problem
    },
    ServeSetting(
      key: "feepay.four.eyes.above",
      meaning:
        "resolutions of payment exceptions that move more than this many đồng out of suspense (`apply_to_invoice`, `refund`, `write_off`) are proposed by one person and take effect only when a second approves (default 0: every one); a recovery from an uploaded statement always needs a second person"
    ) { text, c in
      let (n, problem) = number(text, 0...Int.max, "a whole number of đồng, 0 or more")
      if let n { c.app.fourEyesAbove = Int64(n) }
      return problem
    },
    ServeSetting(
      key: "feepay.console.hsts",
      meaning:
        "the `Strict-Transport-Security` header of console pages, e.g. `max-age=31536000` (default none: set it where the console is served over HTTPS, which its `Secure` session cookie needs anywhere but loopback)"
    ) { text, c in
      guard text.hasPrefix("max-age="), Int(text.dropFirst(8).prefix { $0.isNumber }) != nil,
        text.allSatisfy({ $0.isASCII && !$0.isNewline && $0 != "\t" && $0.asciiValue! >= 0x20 })
      else { return "must start with max-age=SECONDS (printable ASCII on one line)" }
      c.app.strictTransportSecurity = text
      return nil
    },
    ServeSetting(
      key: "feepay.console.bcrypt.cost",
      meaning: "the bcrypt cost of console passwords (default 12, 10-16; each step doubles the work of a sign-in)"
    ) { text, c in
      let (n, problem) = number(text, 10...16, "10-16")
      if let n { c.app.bcryptCost = UInt8(n) }
      return problem
    },
    ServeSetting(
      key: "feepay.migrations.dir",
      meaning: "where `Migrations/` is (default: found beside the working directory or the executable)"),
    ServeSetting(key: "log.level", meaning: "`trace` … `critical` (default `info`)") { text, _ in
      Logger.Level(rawValue: text) == nil
        ? "must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))" : nil
    },
  ]

  /// Applies every set variable to `configuration`, reading the environment once; a bad
  /// value of any of them is refused, each with its own line, before anything starts.
  static func apply(_ environment: [String: String], to configuration: inout ServeConfiguration) throws {
    let reader = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment))
    var problems: [String] = []
    for setting in all {
      guard let apply = setting.apply, let text = reader.string(forKey: ConfigKey(setting.key)) else { continue }
      if let problem = apply(text, &configuration) { problems.append("\(setting.variable) \(problem)") }
    }
    guard problems.isEmpty else { throw FeePayError(.configuration, problems.joined(separator: "\n")) }
  }

  /// The README's table of variables.
  static var markdown: String {
    (["| variable | meaning |", "|---|---|"] + all.map { "| `\($0.variable)` | \($0.meaning) |" })
      .joined(separator: "\n")
  }
}
