import FeePayCore
import Foundation

/// The known-answer vectors of `Fixtures/vectors.json`.
enum Vectors {
  static let root: JSONValue = {
    let url = Bundle.module.url(forResource: "vectors", withExtension: "json", subdirectory: "Fixtures")!
    return try! JSONValue.parse(Array(try! Data(contentsOf: url)))
  }()

  /// The cases of one group. A group that is missing or empty stops the test run: a
  /// parameterized test over zero cases would pass without checking anything.
  static func list(_ name: String) -> [JSONValue] {
    guard let cases = root[name]?.arrayValue, !cases.isEmpty else {
      fatalError("Fixtures/vectors.json has no case in group \"\(name)\"")
    }
    return cases
  }
}
