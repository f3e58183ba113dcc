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
  public struct Overflow: Error, Sendable {
    public init() {}

    /// What a client is told (`422 validation_failed`): nothing was changed.
    public static let detail =
      "An amount or a sum of amounts is larger than FeePay can count (9,223,372,036,854,775,807); nothing was changed."
  }

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
