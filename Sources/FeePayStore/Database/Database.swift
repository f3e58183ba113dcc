import FeePayCore
public import Logging
public import PostgresNIO

/// FeePay's handle on PostgreSQL: the connection pool and the one place where database
/// errors become ``FeePayError``s. The pool is a `Service`; it must be running (in the
/// application's service group) before any query is made.
public final class Database: Sendable {
  public let client: PostgresClient
  public let logger: Logger

  public init(configuration: PostgresClient.Configuration, poolSize: Int = 16, logger: Logger) {
    var configuration = configuration
    configuration.options.maximumConnections = poolSize
    configuration.options.minimumConnections = 0
    configuration.options.connectTimeout = .seconds(5)
    self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    self.logger = logger
  }

  /// Runs `body` in one transaction: it commits if `body` returns, rolls back if it throws.
  /// Errors come out translated (see ``translate(_:)``).
  public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    do {
      return try await client.withTransaction(logger: logger) { connection in
        try await body(connection)
      }
    } catch {
      throw Self.translate(error)
    }
  }

  /// One statement outside an explicit transaction.
  @discardableResult
  public func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
    do {
      return try await client.query(query, logger: logger).collect()
    } catch {
      throw Self.translate(error)
    }
  }

  /// Unwraps transaction errors and maps what PostgreSQL said to FeePay's vocabulary:
  /// a unique violation is a `conflict` (never a 500); a connection that cannot be had is
  /// `unavailable`. Anything else passes through unchanged for the caller to log.
  public static func translate(_ error: any Error) -> any Error {
    if let error = error as? PostgresTransactionError {
      return translate(error.closureError ?? error.beginError ?? error.commitError ?? error)
    }
    if let error = error as? PSQLError {
      switch error.code {
      case .server:
        switch error.serverInfo?[.sqlState] {
        case "23505":
          return FeePayError(.conflict, "That object already exists.")
        case "P0001" where error.serverInfo?[.message]?.contains("is closed") == true:
          return FeePayError(.dayClosed, "That business day is closed; nothing dated on it can change.")
        case "40001", "40P01":
          return FeePayError(.unavailable, "The database was busy; nothing was changed. Retry the request.")
        case "57P01", "57P02", "57P03", "53300":
          return FeePayError(.unavailable, "The database is unavailable; nothing was changed.")
        default:
          return error
        }
      case .connectionError, .poolClosed, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
        return FeePayError(.unavailable, "The database is unavailable; nothing was changed.")
      default:
        return error
      }
    }
    return error
  }

  /// The SQLSTATE of a PostgreSQL error, if `error` is one.
  public static func sqlState(of error: any Error) -> String? {
    if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.commitError {
      return sqlState(of: inner)
    }
    return (error as? PSQLError)?.serverInfo?[.sqlState]
  }
}
