public import FeePayCore
public import Foundation
public import Logging
public import PostgresNIO

/// Appends to the audit log inside the caller's transaction, so that the entry commits
/// together with the change it describes (or not at all).
public enum AuditLog {
  public static func append(
    on connection: PostgresConnection, logger: Logger, at: Date, actor: String, action: String, subject: String,
    summary: [String: JSONValue] = [:]
  ) async throws {
    try await connection.query(
      """
      INSERT INTO audit_log (at, actor, action, subject, summary)
      VALUES (\(at), \(actor), \(action), \(subject), \(JSONValue.object(summary).jsonText)::jsonb)
      """, logger: logger)
  }
}
