public import FeePayCore
public import Foundation
import Logging
import PostgresNIO

/// Seals the audit log into its hash chain (``AuditChain``), anchors closed days, and walks
/// the chain to verify it. Sealing runs in the background (one instance at a time, under an
/// advisory lock), so no request waits on a single "last hash" row.
public struct AuditChainStore: Sendable {
  let database: Database
  let receipts: ReceiptStore

  public init(database: Database, receipts: ReceiptStore) {
    self.database = database
    self.receipts = receipts
  }

  var logger: Logger { database.logger }

  /// The chain's head: its last link and the sealer's position.
  public struct Head: Sendable, Equatable {
    public var seq: Int64
    public var hash: [UInt8]
  }

  /// Seals the entries of every transaction older than all that still run, oldest first,
  /// at most `limit`; answers how many. Another instance sealing at the moment: 0.
  @discardableResult
  public func seal(now: Date, limit: Int = 5000) async throws -> Int {
    try await database.transaction { c in
      let locked = try await c.query("SELECT pg_try_advisory_xact_lock(8403)", logger: logger).collect()[0]
        .decode(Bool.self)
      guard locked else { return 0 }
      let head = try await c.query(
        "SELECT seq, hash, watermark FROM audit_chain_head WHERE id = 1 FOR UPDATE", logger: logger
      ).collect()[0].decode((Int64, Data, Int64).self)
      let horizon = try await c.query(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", logger: logger
      ).collect()[0].decode(Int64.self)
      let rows = try await c.query(
        """
        SELECT a.id, (extract(epoch FROM a.at) * 1000000)::bigint, a.actor, a.action, a.subject, a.summary::text, a.txid
        FROM audit_log a
        WHERE a.txid >= \(head.2) AND a.txid < \(horizon)
          AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = a.id)
        ORDER BY a.txid, a.id LIMIT \(limit)
        """, logger: logger
      ).collect()
      var seq = head.0
      var hash = Array(head.1)
      var seqs: [Int64] = []
      var entryIDs: [Int64] = []
      var hashes: [String] = []
      var lastTxid = horizon
      for row in rows {
        let (id, at, actor, action, subject, summary, txid) = try row.decode(
          (Int64, Int64, String, String, String, String, Int64).self)
        hash = AuditChain.link(
          hash,
          AuditChain.Entry(id: id, atMicroseconds: at, actor: actor, action: action, subject: subject, summary: summary)
        )
        seq += 1
        seqs.append(seq)
        entryIDs.append(id)
        hashes.append(hash.lowercaseHex)
        lastTxid = txid
      }
      // A full batch may have left entries of its last transaction: start there next time.
      let watermark = rows.count == limit ? lastTxid : horizon
      if !rows.isEmpty {
        try await c.query(
          """
          INSERT INTO audit_chain (seq, entry_id, hash, sealed_at)
          SELECT s, e, decode(h, 'hex'), \(now) FROM unnest(\(seqs)::bigint[], \(entryIDs)::bigint[], \(hashes)::text[]) AS t(s, e, h)
          """, logger: logger)
      }
      try await c.query(
        """
        UPDATE audit_chain_head SET seq = \(seq), hash = \(Data(hash)), watermark = \(max(watermark, head.2))
        WHERE id = 1
        """, logger: logger)
      return rows.count
    }
  }

  /// The chain's head now.
  public func head() async throws -> Head {
    let (seq, hash) = try await database.query("SELECT seq, hash FROM audit_chain_head WHERE id = 1")[0].decode(
      (Int64, Data).self)
    return Head(seq: seq, hash: Array(hash))
  }

  /// A closed day's anchor: the chain head after its close, signed.
  public struct Anchor: Sendable {
    public var businessDate: BusinessDate
    public var seq: Int64
    public var hash: [UInt8]
    public var jws: String
    public var createdAt: Date
  }

  /// Anchors every closed day that has no anchor yet to the chain head of now (run after
  /// sealing, so the close's own entry is in it): a compact JWS of
  /// `{"business_date","seq","hash","anchored_at"}` signed with the receipts' current key.
  /// Answers how many days were anchored.
  @discardableResult
  public func anchorClosedDays(now: Date) async throws -> Int {
    try await database.transaction { c in
      let days = try await c.query(
        """
        SELECT d.business_date::text FROM business_days d
        WHERE NOT EXISTS (SELECT 1 FROM audit_anchors a WHERE a.business_date = d.business_date)
        ORDER BY 1
        """, logger: logger
      ).collect().map { try $0.decode(String.self) }
      guard !days.isEmpty else { return 0 }
      let (seq, hash) = try await c.query("SELECT seq, hash FROM audit_chain_head WHERE id = 1", logger: logger)
        .collect()[0].decode((Int64, Data).self)
      let key = try await receipts.currentKey(on: c, now: now)
      // Two instances anchoring at once: the first anchor of a day stands (ON CONFLICT); no
      // row lock on business_days, on which the runtime role has no UPDATE right (Migrations/0017).
      var anchored = 0
      for day in days {
        let payload: JSONValue = [
          "business_date": .string(day), "seq": .integer(seq), "hash": .string(Array(hash).lowercaseHex),
          "anchored_at": .string(Timestamp.format(now)),
        ]
        let jws = try JWS.sign(
          payload: payload.jsonBytes, kid: key.kid, type: "feepay-audit-anchor+jwt", privateKey: key.privateKey)
        let rows = try await c.query(
          """
          INSERT INTO audit_anchors (business_date, seq, hash, jws, created_at)
          VALUES (\(day)::date, \(seq), \(hash), \(jws), \(now)) ON CONFLICT DO NOTHING RETURNING 1
          """, logger: logger
        ).collect()
        anchored += rows.count
      }
      return anchored
    }
  }

  /// Every anchor, oldest day first.
  public func anchors() async throws -> [Anchor] {
    try await database.query(
      "SELECT business_date::text, seq, hash, jws, created_at FROM audit_anchors ORDER BY business_date"
    ).map {
      let (day, seq, hash, jws, at) = try $0.decode((String, Int64, Data, String, Date).self)
      return Anchor(
        businessDate: try BusinessDate.stored(day, column: "audit_anchors.business_date"), seq: seq,
        hash: Array(hash), jws: jws, createdAt: at)
    }
  }

  /// Walks the chain from its first link (or from the first entry at or after `from`,
  /// trusting the link before it) and answers how many links were checked and the first
  /// break, if any; then looks for entries older than the sealed part that are in no link.
  ///
  /// Every read is of one snapshot (a read-only repeatable-read transaction): a sealer
  /// linking entries meanwhile (a running `serve`) is neither half seen nor taken for a
  /// link gone missing.
  public func verify(from: Date? = nil) async throws -> (checked: Int, firstBreak: AuditChain.Break?) {
    try await database.transaction { c in
      _ = try await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger).collect()
      return try await verify(from: from, on: c)
    }
  }

  func verify(from: Date?, on c: PostgresConnection) async throws -> (checked: Int, firstBreak: AuditChain.Break?) {
    var start: Int64 = 1
    var previous = AuditChain.genesis
    if let from {
      let rows = try await c.query(
        """
        SELECT c.seq FROM audit_chain c JOIN audit_log a ON a.id = c.entry_id
        WHERE a.at >= \(from) ORDER BY c.seq LIMIT 1
        """, logger: logger
      ).collect()
      if let first = try rows.first?.decode(Int64.self), first > 1 {
        start = first
        let before = try await c.query("SELECT hash FROM audit_chain WHERE seq = \(first - 1)", logger: logger)
          .collect()
        guard let hash = try before.first?.decode(Data.self) else { return (0, .missing(seq: first - 1)) }
        previous = Array(hash)
      }
    }
    var checked = 0
    var expected = start
    while true {
      let rows = try await c.query(
        """
        SELECT c.seq, c.hash, c.entry_id, a.id, (extract(epoch FROM a.at) * 1000000)::bigint, a.actor, a.action,
               a.subject, a.summary::text
        FROM audit_chain c LEFT JOIN audit_log a ON a.id = c.entry_id
        WHERE c.seq >= \(expected) ORDER BY c.seq LIMIT 10000
        """, logger: logger
      ).collect()
      if rows.isEmpty { break }
      for row in rows {
        let (seq, stored, entryID, id, at, actor, action, subject, summary) = try row.decode(
          (Int64, Data, Int64, Int64?, Int64?, String?, String?, String?, String?).self)
        guard seq == expected else { return (checked, .missing(seq: expected)) }
        guard let id, let at, let actor, let action, let subject, let summary else {
          return (checked, .missing(seq: seq))
        }
        let hash = AuditChain.link(
          previous,
          AuditChain.Entry(id: id, atMicroseconds: at, actor: actor, action: action, subject: subject, summary: summary)
        )
        guard hash == Array(stored) else { return (checked, .changed(seq: seq, entryID: entryID)) }
        previous = hash
        expected += 1
        checked += 1
      }
    }
    // Links the sealer made that are gone from the end.
    let headSeq = try await c.query("SELECT seq FROM audit_chain_head WHERE id = 1", logger: logger).collect()[0]
      .decode(Int64.self)
    if headSeq >= expected { return (checked, .missing(seq: expected)) }
    let slipped = try await c.query(
      """
      SELECT a.id FROM audit_log a
      WHERE a.txid < (SELECT watermark FROM audit_chain_head WHERE id = 1)
        AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = a.id)
      ORDER BY a.id LIMIT 1
      """, logger: logger
    ).collect()
    if let id = try slipped.first?.decode(Int64.self) { return (checked, .unsealed(entryID: id)) }
    return (checked, nil)
  }
}
