public import FeePayCore
import Foundation
import NIOSSL
public import PostgresNIO

/// Reads `DATABASE_URL` (`postgres://user:pass@host:port/db?sslmode=require`) into a
/// PostgresNIO client configuration. `sslmode` follows libpq: `disable`, `prefer` (the
/// default), `require` (encrypted, certificate not checked), `verify-ca`/`verify-full`
/// (encrypted and verified). A `host=/path/to/dir` query parameter selects a Unix socket.
public enum DatabaseURL {
  public static func configuration(from text: String) throws(FeePayError) -> PostgresClient.Configuration {
    func bad(_ why: String) -> FeePayError { FeePayError(.configuration, "DATABASE_URL \(why)") }
    guard let url = URLComponents(string: text), let scheme = url.scheme,
      scheme == "postgres" || scheme == "postgresql"
    else { throw bad("must look like postgres://user:password@host:5432/database") }
    let query = Dictionary(
      (url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
    let username = url.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? query["user"] ?? "postgres"
    let password = url.percentEncodedPassword.flatMap { $0.removingPercentEncoding } ?? query["password"]
    var database = String(url.path.drop(while: { $0 == "/" }))
    if database.isEmpty { database = query["dbname"] ?? username }
    let port = url.port ?? query["port"].flatMap { Int($0) } ?? 5432

    if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
      return PostgresClient.Configuration(
        unixSocketPath: socketDirectory + "/.s.PGSQL.\(port)", username: username, password: password,
        database: database)
    }
    guard let host = url.host, !host.isEmpty else { throw bad("has no host") }

    var unverified = TLSConfiguration.makeClientConfiguration()
    unverified.certificateVerification = .none
    let tls: PostgresClient.Configuration.TLS
    switch query["sslmode"] ?? "prefer" {
    case "disable": tls = .disable
    case "allow", "prefer": tls = .prefer(unverified)
    case "require": tls = .require(unverified)
    case "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
    case let other: throw bad("has an unknown sslmode '\(other)'")
    }
    return PostgresClient.Configuration(
      host: host, port: port, username: username, password: password, database: database, tls: tls)
  }
}
