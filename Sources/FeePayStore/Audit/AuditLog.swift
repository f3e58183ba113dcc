public import FeePayCore
public import Foundation
public import Logging
public import PostgresNIO

/// The one writer of the audit log, inside the caller's transaction, so that an entry
/// commits together with the change it describes (or not at all).
public enum AuditLog {
  /// One entry to append.
  public struct Entry: Sendable {
    public var actor: String
    public var action: String
    public var subject: String
    public var summary: [String: JSONValue]

    public init(actor: String, action: String, subject: String, summary: [String: JSONValue] = [:]) {
      self.actor = actor
      self.action = action
      self.subject = subject
      self.summary = summary
    }
  }

  /// The columns every insert of an entry names, in this order.
  static let columns = "at, actor, action, subject, summary"

  /// Appends `entries` (one or many, in one statement) at `at`.
  public static func append(_ entries: [Entry], at: Date, on connection: PostgresConnection, logger: Logger)
    async throws
  {
    guard !entries.isEmpty else { return }
    try await connection.query(
      """
      INSERT INTO audit_log (\(unescaped: columns))
      SELECT \(at), t.actor, t.action, t.subject, t.summary::jsonb
      FROM unnest(\(entries.map(\.actor))::text[], \(entries.map(\.action))::text[],
                  \(entries.map(\.subject))::text[], \(entries.map { JSONValue.object($0.summary).jsonText })::text[])
        AS t(actor, action, subject, summary)
      """, logger: logger)
  }

  /// One entry.
  public static func append(
    on connection: PostgresConnection, logger: Logger, at: Date, actor: String, action: String, subject: String,
    summary: [String: JSONValue] = [:]
  ) async throws {
    try await append(
      [Entry(actor: actor, action: action, subject: subject, summary: summary)], at: at, on: connection,
      logger: logger)
  }

  /// The insert for a statement that writes its entry together with other rows (one round
  /// trip on a hot path): `values` are SQL expressions for ``columns``, selected `FROM source`.
  static func insert(values: String, from source: String) -> String {
    "INSERT INTO audit_log (\(columns)) SELECT \(values) FROM \(source)"
  }
}
