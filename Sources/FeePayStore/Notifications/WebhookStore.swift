public import FeePayCore
public import Foundation
import Logging
import PostgresNIO

/// The outbox side of notifications: events as portals poll them, and the deliveries the
/// dispatcher claims (`FOR UPDATE SKIP LOCKED`), sends and records.
public struct WebhookStore: Sendable {
  let database: Database
  let secrets: SecretBox

  public init(database: Database, secrets: SecretBox) {
    self.database = database
    self.secrets = secrets
  }

  var logger: Logger { database.logger }
  static func context(_ portal: String) -> String { "portal:\(portal):webhook" }

  /// Something that happened to one of a portal's objects, in commit order.
  public struct Event: Sendable {
    public var id: String
    public var type: String
    public var createdAt: Date
    /// The object as it was when the event happened (an invoice, a payment exception).
    public var data: JSONValue
    /// Where the event stands in the portal's commit order (`txid:seq`).
    public var cursor: String
  }

  // MARK: Polling

  /// The portal's events in commit order, after `cursor` (`txid:seq`). Only events of
  /// transactions older than every running one are listed, so a later commit never lands
  /// behind a cursor already handed out.
  public func events(portal: String, after cursor: String?, limit: Int) async throws -> [Event] {
    var txid: Int64 = -1
    var seq: Int64 = -1
    if let cursor {
      let parts = cursor.split(separator: ":")
      guard parts.count == 2, let t = Int64(parts[0]), let s = Int64(parts[1]) else {
        throw FeePayError.validation([FieldError(parameter: "after", "is not a cursor this API returned")])
      }
      (txid, seq) = (t, s)
    }
    let rows = try await database.query(
      """
      SELECT id, type, created_at, data::text, txid, seq FROM events
      WHERE portal_code = \(portal) AND (txid, seq) > (\(txid), \(seq))
        AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
      ORDER BY txid, seq LIMIT \(limit)
      """)
    return try rows.map {
      let (id, type, created, data, t, s) = try $0.decode((String, String, Date, String, Int64, Int64).self)
      return Event(
        id: id, type: type, createdAt: created, data: try JSONValue.parse(Array(data.utf8)), cursor: "\(t):\(s)")
    }
  }

  /// Queues an event of `portal` for delivery again, from the first attempt.
  public func redeliver(eventID: String, portal: String, now: Date) async throws {
    try await database.transaction { c in
      let rows = try await c.query(
        "SELECT 1 FROM events WHERE id = \(eventID) AND portal_code = \(portal)", logger: logger
      ).collect()
      guard !rows.isEmpty else { throw FeePayError.notFound("event") }
      let hasURL = try await c.query(
        "SELECT 1 FROM portals WHERE code = \(portal) AND webhook_url IS NOT NULL", logger: logger
      ).collect()
      guard !hasURL.isEmpty else {
        throw FeePayError(.conflict, "This portal has no webhook URL; poll GET /v1/events instead.")
      }
      try await c.query(
        """
        INSERT INTO webhook_deliveries (event_id, portal_code, status, next_attempt_at, created_at, updated_at)
        VALUES (\(eventID), \(portal), 'pending', \(now), \(now), \(now))
        ON CONFLICT (event_id) DO UPDATE SET status = 'pending', attempts = 0, next_attempt_at = \(now),
          lease_until = NULL, updated_at = \(now)
        """, logger: logger)
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: "portal:\(portal)", action: "event.redeliver", subject: eventID)
    }
  }

  /// A webhook delivery: where it stands, and when it is next tried (while pending).
  public struct Delivery: Sendable {
    public var eventID: String
    public var eventType: String
    public var status: String
    public var attempts: Int
    public var lastStatus: Int?
    public var lastError: String?
    public var nextAttemptAt: Date?
    public var deliveredAt: Date?

  }

  public func deliveries(portal: String?, status: String?, after: String?, limit: Int) async throws -> (
    [Delivery], hasMore: Bool
  ) {
    let rows = try await database.query(
      """
      SELECT d.event_id, e.type, d.status, d.attempts, d.last_status, d.last_error, d.next_attempt_at, d.delivered_at
      FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
      WHERE (\(portal)::text IS NULL OR d.portal_code = \(portal)) AND (\(status)::text IS NULL OR d.status = \(status))
        AND (\(after)::text IS NULL OR d.event_id > \(after))
      ORDER BY d.event_id LIMIT \(limit + 1)
      """)
    let items = try rows.prefix(limit).map {
      let (id, type, status, attempts, last, error, next, delivered) = try $0.decode(
        (String, String, String, Int, Int?, String?, Date, Date?).self)
      return Delivery(
        eventID: id, eventType: type, status: status, attempts: attempts, lastStatus: last, lastError: error,
        nextAttemptAt: status == "pending" ? next : nil, deliveredAt: delivered)
    }
    return (items, rows.count > limit)
  }

  // MARK: Dispatching

  /// One delivery the dispatcher has claimed.
  public struct Job: Sendable {
    public var eventID: String
    public var portal: String
    public var url: String
    /// Current secret first, then the previous one during a rotation.
    public var secrets: [String]
    public var event: Event
    public var attempts: Int
  }

  /// Claims up to `limit` due deliveries, at most `perPortal` in flight for any portal, and
  /// leases them until `now + lease` (a dispatcher that dies mid-send frees them then).
  public func claim(now: Date, limit: Int, perPortal: Int, lease: TimeInterval) async throws -> [Job] {
    let rows = try await database.transaction { c in
      try await c.query(
        """
        WITH busy AS (
          SELECT portal_code, count(*) AS n FROM webhook_deliveries
          WHERE status = 'delivering' AND lease_until > \(now) GROUP BY portal_code
        ), due AS (
          SELECT d.event_id, d.portal_code FROM webhook_deliveries d
          JOIN portals p ON p.code = d.portal_code
          WHERE ((d.status = 'pending' AND d.next_attempt_at <= \(now))
                 OR (d.status = 'delivering' AND d.lease_until <= \(now)))
            AND p.webhook_enabled AND p.webhook_url IS NOT NULL
          ORDER BY d.next_attempt_at
          LIMIT \(limit * 4)
          FOR UPDATE OF d SKIP LOCKED
        ), ranked AS (
          SELECT due.event_id, row_number() OVER (PARTITION BY due.portal_code ORDER BY due.event_id) AS r,
                 coalesce(busy.n, 0) AS n
          FROM due LEFT JOIN busy ON busy.portal_code = due.portal_code
        ), chosen AS (
          SELECT event_id FROM ranked WHERE r + n <= \(perPortal) LIMIT \(limit)
        )
        UPDATE webhook_deliveries d SET status = 'delivering', lease_until = \(now.addingTimeInterval(lease)),
          updated_at = \(now)
        FROM chosen, portals p, events e
        WHERE d.event_id = chosen.event_id AND p.code = d.portal_code AND e.id = d.event_id
        RETURNING d.event_id, d.portal_code, p.webhook_url, p.webhook_secret_sealed, p.previous_webhook_secret_sealed,
                  p.previous_webhook_secret_until, d.attempts, e.type, e.created_at, e.data::text, e.txid, e.seq
        """, logger: logger
      ).collect()
    }
    return try rows.map { row in
      let (id, portal, url, sealed, previous, until, attempts, type, created, data, txid, seq) = try row.decode(
        (String, String, String, Data, Data?, Date?, Int, String, Date, String, Int64, Int64).self)
      var keys = [try secrets.open(Array(sealed), context: Self.context(portal))]
      if let previous, let until, until > now {
        keys.append(try secrets.open(Array(previous), context: Self.context(portal)))
      }
      return Job(
        eventID: id, portal: portal, url: url, secrets: keys,
        event: Event(
          id: id, type: type, createdAt: created, data: try JSONValue.parse(Array(data.utf8)), cursor: "\(txid):\(seq)"),
        attempts: attempts)
    }
  }

  /// What one attempt came to.
  public enum Result: Sendable {
    case delivered(status: Int)
    /// Try again at `at`, or give up (`at == nil`).
    case failed(status: Int?, error: String, retryAt: Date?)
    /// `410 Gone`: the portal's endpoint is disabled until `feepay portal enable`; the
    /// delivery waits, without using up an attempt.
    case gone
  }

  public func record(_ job: Job, _ result: Result, now: Date) async throws {
    try await database.transaction { c in
      switch result {
      case .delivered(let status):
        try await c.query(
          """
          UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = \(status),
            last_error = NULL, delivered_at = \(now), lease_until = NULL, updated_at = \(now)
          WHERE event_id = \(job.eventID)
          """, logger: logger)
      case .failed(let status, let error, let retryAt):
        try await c.query(
          """
          UPDATE webhook_deliveries SET status = \(retryAt == nil ? "failed" : "pending"), attempts = attempts + 1,
            last_status = \(status), last_error = \(String(error.prefix(500))),
            next_attempt_at = \(retryAt ?? now), lease_until = NULL, updated_at = \(now)
          WHERE event_id = \(job.eventID)
          """, logger: logger)
      case .gone:
        try await c.query(
          """
          UPDATE webhook_deliveries SET status = 'pending', last_status = 410, last_error = 'endpoint gone (410)',
            lease_until = NULL, updated_at = \(now)
          WHERE event_id = \(job.eventID)
          """, logger: logger)
        try await c.query(
          """
          UPDATE portals SET webhook_enabled = false, webhook_disabled_at = \(now)
          WHERE code = \(job.portal) AND webhook_enabled
          """, logger: logger)
        try await AuditLog.append(
          on: c, logger: logger, at: now, actor: "system:webhooks", action: "portal.webhook_disabled",
          subject: "portal:\(job.portal)", summary: ["reason": "410 Gone"])
      }
    }
  }

  /// Deliveries waiting, and the age of the oldest undelivered event.
  public func backlog(now: Date) async throws -> (depth: Int, oldestAge: TimeInterval) {
    let rows = try await database.query(
      """
      SELECT count(*)::int, coalesce(extract(epoch FROM \(now) - min(created_at)), 0)::float8
      FROM webhook_deliveries WHERE status IN ('pending', 'delivering')
      """)
    return try rows[0].decode((Int, Double).self)
  }

  // MARK: Portal administration

  /// A new webhook secret for the portal; the previous one still signs until `graceUntil`.
  public func rotateSecret(portal: String, graceUntil: Date, actor: String, now: Date) async throws -> String {
    let secret = WebhookSecret.generate()
    let sealed = Data(secrets.seal(secret, context: Self.context(portal)))
    try await database.transaction { c in
      let rows = try await c.query(
        """
        UPDATE portals SET previous_webhook_secret_sealed = webhook_secret_sealed,
          previous_webhook_secret_until = \(graceUntil), webhook_secret_sealed = \(sealed)
        WHERE code = \(portal) RETURNING 1
        """, logger: logger
      ).collect()
      guard !rows.isEmpty else { throw FeePayError(.notFound, "no portal \(portal)") }
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: actor, action: "portal.rotate_secret", subject: "portal:\(portal)",
        summary: ["previous_valid_until": .string(Timestamp.format(graceUntil))])
    }
    return secret
  }

  /// Turns a portal's webhook endpoint back on after a `410`; waiting deliveries resume.
  public func enable(portal: String, actor: String, now: Date) async throws {
    try await database.transaction { c in
      let rows = try await c.query(
        "UPDATE portals SET webhook_enabled = true, webhook_disabled_at = NULL WHERE code = \(portal) RETURNING 1",
        logger: logger
      ).collect()
      guard !rows.isEmpty else { throw FeePayError(.notFound, "no portal \(portal)") }
      try await c.query(
        """
        UPDATE webhook_deliveries SET next_attempt_at = \(now), updated_at = \(now)
        WHERE portal_code = \(portal) AND status = 'pending'
        """, logger: logger)
      try await AuditLog.append(
        on: c, logger: logger, at: now, actor: actor, action: "portal.webhook_enabled", subject: "portal:\(portal)")
    }
  }
}
