import Crypto

/// The audit log's hash chain: `hash(n) = SHA-256(hash(n-1) ‖ canonical(entry n))`, starting
/// from 32 zero bytes. The canonical form writes each field as `<UTF-8 length>:<bytes>|`, in
/// a fixed order, so that no two different entries share bytes (a field cannot spill into
/// the next). Pure: the sealer links with it and `feepay audit verify` checks with it.
public enum AuditChain {
  public static let genesis = [UInt8](repeating: 0, count: 32)

  /// An entry as the chain sees it: `at` in microseconds since 1970 (PostgreSQL's own
  /// precision), `summary` as PostgreSQL writes its jsonb (keys in jsonb's order).
  public struct Entry: Sendable, Equatable {
    public var id: Int64
    public var atMicroseconds: Int64
    public var actor: String
    public var action: String
    public var subject: String
    public var summary: String

    public init(id: Int64, atMicroseconds: Int64, actor: String, action: String, subject: String, summary: String) {
      self.id = id
      self.atMicroseconds = atMicroseconds
      self.actor = actor
      self.action = action
      self.subject = subject
      self.summary = summary
    }

    public var canonical: [UInt8] {
      var bytes: [UInt8] = []
      for field in [String(id), String(atMicroseconds), actor, action, subject, summary] {
        let utf8 = Array(field.utf8)
        bytes += Array("\(utf8.count):".utf8) + utf8 + [UInt8(ascii: "|")]
      }
      return bytes
    }
  }

  /// The hash that follows `previous` for `entry`.
  public static func link(_ previous: [UInt8], _ entry: Entry) -> [UInt8] {
    var hasher = SHA256()
    hasher.update(data: previous)
    hasher.update(data: entry.canonical)
    return Array(hasher.finalize())
  }

  /// What a walk of the chain found.
  public enum Break: Sendable, Equatable, CustomStringConvertible {
    /// The entry sealed at `seq` is not what was sealed (its contents changed, or the link
    /// itself was rewritten).
    case changed(seq: Int64, entryID: Int64)
    /// The chain has no link `seq` (a sealed link was deleted), or its entry is gone.
    case missing(seq: Int64)
    /// An entry older than the sealer's position is in no link (slipped in afterwards).
    case unsealed(entryID: Int64)

    public var description: String {
      switch self {
      case .changed(let seq, let id): "entry \(id) (link \(seq)) does not match its seal: it was changed after sealing"
      case .missing(let seq): "link \(seq) is missing: a sealed entry was deleted"
      case .unsealed(let id):
        "entry \(id) is in no link although it is older than the sealed part: it was inserted later"
      }
    }
  }
}
