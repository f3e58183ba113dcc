/// ISO 4217 currencies FeePay can bill in. Only VND is enabled until a second currency is
/// configured; VND has no minor unit, so 1 = 1 đồng.
public enum Currency: String, Sendable, Codable, CaseIterable {
  case vnd = "VND"

  /// ISO 4217 numeric code (VietQR tag 53).
  public var numericCode: String {
    switch self {
    case .vnd: "704"
    }
  }
}

/// Overflow-checked arithmetic on amounts in minor units. Money is `Int64`; an operation
/// that would overflow throws instead of wrapping or trapping.
public enum MoneyMath {
  public struct Overflow: Error, Sendable {}

  public static func multiply(_ a: Int64, _ b: Int64) throws(Overflow) -> Int64 {
    let (result, overflow) = a.multipliedReportingOverflow(by: b)
    if overflow { throw Overflow() }
    return result
  }

  public static func add(_ a: Int64, _ b: Int64) throws(Overflow) -> Int64 {
    let (result, overflow) = a.addingReportingOverflow(b)
    if overflow { throw Overflow() }
    return result
  }

  public static func sum(_ values: some Sequence<Int64>) throws(Overflow) -> Int64 {
    var total: Int64 = 0
    for value in values { total = try add(total, value) }
    return total
  }
}
