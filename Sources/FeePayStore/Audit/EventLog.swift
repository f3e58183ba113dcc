public import FeePayCore
public import Foundation
public import Logging
public import PostgresNIO

/// The one writer of the transactional outbox (`events`), inside the caller's transaction,
/// so that an event exists exactly when the change it announces committed. A trigger queues
/// its webhook delivery when the portal has a webhook URL.
public enum EventLog {
  /// One event to append.
  public struct Entry: Sendable {
    public var id: String
    public var portal: String?
    public var type: String
    public var subject: String
    public var data: JSONValue

    public init(id: String, portal: String?, type: String, subject: String, data: JSONValue) {
      self.id = id
      self.portal = portal
      self.type = type
      self.subject = subject
      self.data = data
    }
  }

  /// The columns every insert of an event names, in this order.
  static let columns = "id, portal_code, type, subject_id, data, created_at"

  /// Appends `entries` (one or many, in one statement) at `at`.
  public static func append(_ entries: [Entry], at: Date, on connection: PostgresConnection, logger: Logger)
    async throws
  {
    guard !entries.isEmpty else { return }
    try await connection.query(
      """
      INSERT INTO events (\(unescaped: columns))
      SELECT t.id, nullif(t.portal, ''), t.type, t.subject, t.data::jsonb, \(at)
      FROM unnest(\(entries.map(\.id))::text[], \(entries.map { $0.portal ?? "" })::text[],
                  \(entries.map(\.type))::text[], \(entries.map(\.subject))::text[],
                  \(entries.map(\.data.jsonText))::text[]) AS t(id, portal, type, subject, data)
      """, logger: logger)
  }

  /// The insert for a statement that writes its event together with other rows (one round
  /// trip on a hot path): `values` are SQL expressions for ``columns``, selected `FROM source`.
  static func insert(values: String, from source: String) -> String {
    "INSERT INTO events (\(columns)) SELECT \(values) FROM \(source)"
  }
}
