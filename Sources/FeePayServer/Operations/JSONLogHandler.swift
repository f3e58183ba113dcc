import FeePayCore
import Foundation
public import Logging

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes one JSON object per line to standard output: time, level, logger label, message
/// and metadata. Nothing secret is ever put in metadata by FeePay; keys and secrets are
/// shown only by the commands that create them, and never through a logger.
public struct JSONLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level
  let label: String

  public init(label: String, level: Logger.Level = .info) {
    self.label = label
    self.logLevel = level
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var fields: [String: JSONValue] = [
      "ts": .string(Self.timestamp()), "level": .string(event.level.rawValue), "logger": .string(label),
      "msg": .string(event.message.description),
    ]
    for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) {
      fields[key] = Self.json(value)
    }
    var text = JSONValue.object(fields).jsonText
    text.append("\n")
    text.withCString { pointer in _ = write(1, pointer, strlen(pointer)) }
  }

  static func json(_ value: Logger.Metadata.Value) -> JSONValue {
    switch value {
    case .string(let s): .string(s)
    case .stringConvertible(let c): .string(c.description)
    case .array(let items): .array(items.map(json))
    case .dictionary(let d): .object(d.mapValues(json))
    }
  }

  static func timestamp() -> String {
    let now = Date()
    let millis = Int((now.timeIntervalSince1970 * 1000).truncatingRemainder(dividingBy: 1000))
    let base = Timestamp.format(now)
    return String(base.dropLast()) + "." + String(repeating: "0", count: 3 - String(millis).count) + String(millis)
      + "Z"
  }
}
