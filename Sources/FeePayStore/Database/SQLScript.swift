/// Splits a SQL script into statements at top-level semicolons, so that a migration file
/// can hold several statements although PostgresNIO's extended protocol runs one per
/// query. Semicolons inside quotes ('…', "…"), dollar-quoted bodies ($$…$$, $tag$…$tag$),
/// and comments (-- … and /* … */, nested) do not split. Statements that are empty or
/// only comments are dropped.
public enum SQLScript {
  public static func statements(_ script: String) -> [String] {
    let b = Array(script.utf8)
    var statements: [String] = []
    var start = 0
    var i = 0
    var hasCode = false

    func flush(upTo end: Int) {
      if hasCode {
        let text = String(decoding: b[start..<end], as: UTF8.self)
        statements.append(text.trimmingWhitespace())
      }
      hasCode = false
    }

    while i < b.count {
      let c = b[i]
      switch c {
      case UInt8(ascii: "-") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "-"):
        while i < b.count && b[i] != UInt8(ascii: "\n") { i += 1 }
        continue
      case UInt8(ascii: "/") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "*"):
        var depth = 1
        i += 2
        while i < b.count && depth > 0 {
          if b[i] == UInt8(ascii: "/") && i + 1 < b.count && b[i + 1] == UInt8(ascii: "*") {
            depth += 1
            i += 2
          } else if b[i] == UInt8(ascii: "*") && i + 1 < b.count && b[i + 1] == UInt8(ascii: "/") {
            depth -= 1
            i += 2
          } else {
            i += 1
          }
        }
        continue
      case UInt8(ascii: "'"), UInt8(ascii: "\""):
        hasCode = true
        i += 1
        while i < b.count {
          if b[i] == c {
            if i + 1 < b.count && b[i + 1] == c {
              i += 2
              continue
            }
            break
          }
          i += 1
        }
        i += 1
        continue
      case UInt8(ascii: "$"):
        hasCode = true
        // A dollar-quote tag is $[A-Za-z_][A-Za-z0-9_]*$ or $$; $1 is a parameter.
        var j = i + 1
        while j < b.count, isTagCharacter(b[j]), !(j == i + 1 && isDigit(b[j])) { j += 1 }
        if j < b.count && b[j] == UInt8(ascii: "$") {
          let tag = Array(b[i...j])
          var k = j + 1
          while k + tag.count <= b.count && !b[k..<(k + tag.count)].elementsEqual(tag) { k += 1 }
          i = min(b.count, k + tag.count)
          continue
        }
        i += 1
        continue
      case UInt8(ascii: ";"):
        flush(upTo: i)
        start = i + 1
        i += 1
        continue
      default:
        if !(c == 32 || c == 9 || c == 10 || c == 13) { hasCode = true }
        i += 1
      }
    }
    flush(upTo: b.count)
    return statements
  }

  static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

  static func isTagCharacter(_ c: UInt8) -> Bool {
    isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 128
  }
}

extension String {
  func trimmingWhitespace() -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first...last])
  }
}
