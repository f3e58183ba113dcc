import FeePayCore

/// A value read back from the database that must be one this version of FeePay knows. A
/// value it does not know (a newer version wrote it, or someone edited the row by hand) is
/// a loud error that names the column and the value, never a silent default.
struct UnknownStoredValue: Error, Sendable, CustomStringConvertible {
  var column: String
  var value: String

  var description: String {
    "The database holds \(column) = \"\(value)\", which this version of FeePay does not know."
  }
}

extension RawRepresentable where RawValue == String {
  /// The case whose raw value `text` is, read from `column`; throws ``UnknownStoredValue``.
  static func stored(_ text: String, column: String) throws -> Self {
    guard let value = Self(rawValue: text) else { throw UnknownStoredValue(column: column, value: text) }
    return value
  }
}

extension BusinessDate {
  /// A `date` column read as text (`YYYY-MM-DD`); throws ``UnknownStoredValue``.
  static func stored(_ text: String, column: String) throws -> BusinessDate {
    guard let value = BusinessDate(text) else { throw UnknownStoredValue(column: column, value: text) }
    return value
  }
}
