import PostgresNIO

/// SQL written with named parameters (`:portal_code`) instead of positional ones. The
/// names are numbered `$1`, `$2`, … in the order they first appear, and a prepared
/// statement's bindings are given by the same names (``NamedBindings``), in any order: the
/// text and the bindings cannot drift apart, and a name bound twice, never bound or unknown
/// to the text stops the first execution with a message that names it.
///
/// A name is a colon followed by a lowercase letter or underscore and then letters, digits
/// or underscores, not preceded by another colon (so that `::jsonb` stays a cast).
struct NamedSQL: Sendable {
  let sql: String
  let names: [String]
  let positions: [String: Int]

  init(_ template: String) {
    var sql = ""
    var names: [String] = []
    var positions: [String: Int] = [:]
    let scalars = Array(template.unicodeScalars)
    func isNameStart(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || c == "_" }
    func isNamePart(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || ("0"..."9").contains(c) }
    var i = 0
    while i < scalars.count {
      let c = scalars[i]
      if c == ":", i + 1 < scalars.count, isNameStart(scalars[i + 1]), i == 0 || scalars[i - 1] != ":" {
        var j = i + 1
        while j < scalars.count, isNamePart(scalars[j]) { j += 1 }
        let name = String(String.UnicodeScalarView(scalars[(i + 1)..<j]))
        let position = positions[name] ?? names.count
        if positions[name] == nil {
          positions[name] = position
          names.append(name)
        }
        sql += "$\(position + 1)"
        i = j
      } else {
        sql.unicodeScalars.append(c)
        i += 1
      }
    }
    self.sql = sql
    self.names = names
    self.positions = positions
  }
}

/// The bindings of a ``NamedSQL`` statement, given by name.
struct NamedBindings {
  private let statement: NamedSQL
  private var slots: [((inout PostgresBindings) throws -> Void)?]

  init(_ statement: NamedSQL) {
    self.statement = statement
    self.slots = Array(repeating: nil, count: statement.names.count)
  }

  private mutating func set(_ name: String, _ append: @escaping (inout PostgresBindings) throws -> Void) {
    guard let position = statement.positions[name] else {
      preconditionFailure("parameter :\(name) is bound but does not appear in the statement")
    }
    precondition(slots[position] == nil, "parameter :\(name) is bound twice")
    slots[position] = append
  }

  mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ name: String, _ value: Value) {
    set(name) { try $0.append(value) }
  }

  mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ name: String, _ value: Value?) {
    set(name) { try $0.append(value) }
  }

  /// The bindings in `$n` order; every name of the statement must have been bound.
  func bindings() throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: slots.count)
    for (position, slot) in slots.enumerated() {
      guard let slot else { preconditionFailure("parameter :\(statement.names[position]) is never bound") }
      try slot(&bindings)
    }
    return bindings
  }
}
