import FeePayCore
import Foundation
import Testing

/// The QR encoder against Project Nayuki's reference encoder (Fixtures/qr-known-answers.json):
/// whole matrices, the mask the penalty rules choose, every version's capacity.
@Suite(.timeLimit(.minutes(5))) struct QRCodeTests {
  static let answers: JSONValue = {
    let url = Bundle.module.url(forResource: "qr-known-answers", withExtension: "json", subdirectory: "Fixtures")!
    return try! JSONValue.parse(Array(try! Data(contentsOf: url)))
  }()

  static func list(_ name: String) -> [JSONValue] {
    guard let cases = answers[name]?.arrayValue, !cases.isEmpty else {
      fatalError("Fixtures/qr-known-answers.json has no case in group \"\(name)\"")
    }
    return cases
  }

  static func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
      let next = hex.index(index, offsetBy: 2)
      out.append(UInt8(hex[index..<next], radix: 16)!)
      index = next
    }
    return out
  }

  static func rows(_ code: QRCode) -> [String] {
    (0..<code.size).map { y in String((0..<code.size).map { code[$0, y] ? "1" : "0" }) }
  }

  @Test(arguments: list("cases").indices)
  func matrixAndChosenMaskMatchTheReference(_ index: Int) throws {
    let answer = Self.list("cases")[index]
    let data = Self.bytes(hex: try #require(answer["input_hex"]?.stringValue))
    let code = try QRCode(bytes: data)
    #expect(code.version == Int(try #require(answer["version"]?.intValue)))
    #expect(code.mask == Int(try #require(answer["mask"]?.intValue)))
    #expect(code.size == 17 + 4 * code.version)
    #expect(Self.rows(code) == (answer["rows"]?.arrayValue ?? []).compactMap(\.stringValue))
  }

  @Test(arguments: list("forced_masks").indices)
  func eachMaskPatternMatchesTheReference(_ index: Int) throws {
    let answer = Self.list("forced_masks")[index]
    let data = Self.bytes(hex: try #require(answer["input_hex"]?.stringValue))
    let mask = Int(try #require(answer["mask"]?.intValue))
    let code = try QRCode(bytes: data, mask: mask)
    #expect(code.mask == mask)
    #expect(Self.rows(code) == (answer["rows"]?.arrayValue ?? []).compactMap(\.stringValue))
  }

  @Test(arguments: QRCode.ErrorCorrection.allCases)
  func everyVersionsCapacityMatchesTheReference(_ level: QRCode.ErrorCorrection) throws {
    let name = ["low", "medium", "quartile", "high"][level.rawValue]
    let expected = try #require(Self.answers["byte_capacity"]?[name]?.arrayValue).compactMap(\.intValue)
    #expect(expected.count == 40)
    #expect((1...40).map { Int64(QRCode.byteCapacity(version: $0, level)) } == expected)
  }

  @Test func theVersionChosenIsTheSmallestThatHoldsTheBytes() throws {
    for count in [0, 1, 14, 15, 26, 27, 42, 100, 213, 214, 1000, 2331] {
      let code = try QRCode(bytes: [UInt8](repeating: 0x41, count: count))
      #expect(QRCode.byteCapacity(version: code.version, .medium) >= count)
      if code.version > 1 { #expect(QRCode.byteCapacity(version: code.version - 1, .medium) < count) }
    }
  }

  @Test func bytesPastVersion40AreRefusedWithTheCapacity() {
    #expect(throws: QRCode.TooLong(byteCount: 2332, capacity: 2331)) {
      try QRCode(bytes: [UInt8](repeating: 0, count: 2332))
    }
  }
}
