import FeePayCore
import Foundation

/// The known-answer vectors of `Fixtures/vectors.json`.
enum Vectors {
  static let root: JSONValue = {
    let url = Bundle.module.url(forResource: "vectors", withExtension: "json", subdirectory: "Fixtures")!
    return try! JSONValue.parse(Array(try! Data(contentsOf: url)))
  }()

  static func list(_ name: String) -> [JSONValue] { root[name]?.arrayValue ?? [] }
}
