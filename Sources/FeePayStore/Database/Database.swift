import FeePayCore
public import Logging
public import PostgresNIO
import Synchronization

/// FeePay's handle on PostgreSQL: the connection pool and the one place where database
/// errors become ``FeePayError``s. The pool is a `Service`; it must be running (in the
/// application's service group) before any query is made.
public final class Database: Sendable {
  public let client: PostgresClient
  public let logger: Logger

  /// How long a request waits for a pooled connection before it is refused as
  /// `unavailable` (`FEEPAY_DB_WAIT_SECONDS`). PostgresNIO's pool keeps a request queued
  /// while it retries a server it cannot reach (until its circuit breaker trips, after a
  /// minute), so without this bound a request made while PostgreSQL is down would hang
  /// instead of answering 503. An overloaded pool is refused the same way.
  public let leaseTimeout: Duration

  public init(
    configuration: PostgresClient.Configuration, poolSize: Int = 16, leaseTimeout: Duration = .seconds(10),
    logger: Logger
  ) {
    var configuration = configuration
    configuration.options.maximumConnections = poolSize
    configuration.options.minimumConnections = 0
    configuration.options.connectTimeout = .seconds(5)
    self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    self.leaseTimeout = leaseTimeout
    self.logger = logger
  }

  /// Runs `body` in one transaction: it commits if `body` returns, rolls back if it throws.
  /// Errors come out translated (see ``translate(_:)``).
  public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    do {
      return try await leased { connection in
        try await connection.withTransaction(logger: logger) { connection in
          try await body(connection)
        }
      }
    } catch {
      throw Self.translate(error)
    }
  }

  /// One statement outside an explicit transaction.
  @discardableResult
  public func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
    do {
      return try await leased { connection in try await connection.query(query, logger: logger).collect() }
    } catch {
      throw Self.translate(error)
    }
  }

  /// The error a request gets when no connection could be had within ``leaseTimeout``.
  public struct LeaseTimedOut: Error, Sendable {}

  /// Who came first, the connection or the timer: decided once, under a lock.
  private final class Lease: Sendable {
    enum State { case waiting, leased, expired }
    private let state = Mutex(State.waiting)

    /// Moves from `waiting` to `to`; false if the other side came first.
    func claim(_ to: State) -> Bool {
      state.withLock { state in
        guard state == .waiting else { return false }
        state = to
        return true
      }
    }
  }

  private enum Outcome<T: Sendable>: Sendable {
    case finished(T)
    case timerDone
  }

  /// Runs `body` on a pooled connection, waiting at most ``leaseTimeout`` for one (then it
  /// throws ``LeaseTimedOut`` and `body` never runs). Errors are not translated. Once
  /// `body` has started it is never interrupted by the timer: a lock decides, once, whether
  /// the lease or the timer came first.
  public func leased<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    try await withoutActuallyEscaping(body) { body in
      // The body runs in a child task while this task waits for the group, so it is never
      // run concurrently with anything else that captured the same state.
      nonisolated(unsafe) let body = body
      let lease = Lease()
      let timeout = leaseTimeout
      return try await withThrowingTaskGroup(of: Outcome<T>.self) { group in
        group.addTask {
          try await self.client.withConnection { connection in
            guard lease.claim(.leased) else { throw LeaseTimedOut() }
            return .finished(try await body(connection))
          }
        }
        group.addTask {
          try await Task.sleep(for: timeout)
          if lease.claim(.expired) { throw LeaseTimedOut() }
          return .timerDone
        }
        while let outcome = try await group.next() {
          if case .finished(let value) = outcome {
            group.cancelAll()
            return value
          }
        }
        throw LeaseTimedOut()
      }
    }
  }

  /// Unwraps transaction errors and maps what PostgreSQL said to FeePay's vocabulary:
  /// a unique violation is a `conflict` (never a 500); a connection that cannot be had is
  /// `unavailable`. Anything else passes through unchanged for the caller to log.
  public static func translate(_ error: any Error) -> any Error {
    if error is MoneyMath.Overflow { return FeePayError(.validationFailed, MoneyMath.Overflow.detail) }
    if error is LeaseTimedOut {
      return FeePayError(
        .unavailable,
        "No database connection could be had in time (the database is unreachable or overloaded); nothing was changed. Retry the request."
      )
    }
    if let error = error as? PostgresTransactionError {
      return translate(error.closureError ?? error.beginError ?? error.commitError ?? error)
    }
    if let error = error as? PSQLError {
      switch error.code {
      case .server:
        switch error.serverInfo?[.sqlState] {
        case SQLState.uniqueViolation:
          return FeePayError(.conflict, "That object already exists.")
        case SQLState.dayClosed:
          return FeePayError(.dayClosed, "That business day is closed; nothing dated on it can change.")
        case SQLState.numericValueOutOfRange:
          return FeePayError(.validationFailed, MoneyMath.Overflow.detail)
        case SQLState.exceptionResolved:
          return FeePayError(.conflict, "That exception is resolved already; its resolution cannot change.")
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

  /// Runs one prepared statement on a pooled connection, outside an explicit transaction,
  /// and answers its first row; `nil` when the statement broke the unique constraint
  /// `collidingOn` (a collision the caller resolves by trying again with new values, such as
  /// a random code already taken). Every other error comes out translated.
  public func first<Statement: PostgresPreparedStatement>(
    _ statement: Statement, collidingOn constraint: String
  ) async throws -> Statement.Row? where Statement.Row: Sendable {
    do {
      return try await leased { connection in
        var rows = try await connection.execute(statement, logger: logger).makeAsyncIterator()
        guard let row = try await rows.next() else {
          throw FeePayError(.internalError, "\(Statement.self) answered no row.")
        }
        return row
      }
    } catch let error as PSQLError
      where error.serverInfo?[.sqlState] == SQLState.uniqueViolation
      && error.serverInfo?[.constraintName] == constraint
    {
      return nil
    } catch {
      throw Self.translate(error)
    }
  }

  /// The SQLSTATEs FeePay gives a meaning of its own. Class `FP` is FeePay's: its triggers
  /// raise these codes (Migrations/0007_error_codes.sql), so errors are recognised by code,
  /// never by the text of a message.
  public enum SQLState {
    public static let uniqueViolation = "23505"
    /// A `bigint` sum of amounts (a report, a statement's total) past 2⁶³ − 1.
    public static let numericValueOutOfRange = "22003"
    /// A row dated on a closed business day (the `feepay_refuse_closed_day` trigger).
    public static let dayClosed = "FP001"
    /// A change to a resolved payment exception (the `feepay_exception_resolved_once` trigger).
    public static let exceptionResolved = "FP002"
  }

  /// Why the role this pool connects as could rewrite history (a superuser, or the owner of
  /// FeePay's tables: it can alter them, disable their triggers, truncate them), or `nil`
  /// for a runtime role of its own (Migrations/0017).
  public func privilegeWarning() async throws -> String? {
    let rows = try await query(
      """
      SELECT current_user::text, r.rolsuper,
             EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user)
      FROM pg_roles r WHERE r.rolname = current_user
      """)
    guard let (role, superuser, owner) = try rows.first?.decode((String, Bool, Bool).self) else { return nil }
    if superuser { return "the database role \(role) is a superuser" }
    if owner { return "the database role \(role) owns FeePay's tables" }
    return nil
  }

  /// The SQLSTATE of a PostgreSQL error, if `error` is one.
  public static func sqlState(of error: any Error) -> String? {
    if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.commitError {
      return sqlState(of: inner)
    }
    return (error as? PSQLError)?.serverInfo?[.sqlState]
  }
}
