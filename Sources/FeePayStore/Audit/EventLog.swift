public import Foundation
public import Logging
public import PostgresNIO

/// Appends to the transactional outbox (`events`) inside the caller's transaction, so that
/// an event exists exactly when the change it announces committed. A trigger queues its
/// webhook delivery when the portal has a webhook URL.
public enum EventLog {
  public static func append(
    on connection: PostgresConnection, logger: Logger, id: String, portal: String?, type: String, subject: String,
    data: [UInt8], at: Date
  ) async throws {
    try await connection.query(
      """
      INSERT INTO events (id, portal_code, type, subject_id, data, created_at)
      VALUES (\(id), \(portal), \(type), \(subject), \(String(decoding: data, as: UTF8.self))::jsonb, \(at))
      """, logger: logger)
  }
}
