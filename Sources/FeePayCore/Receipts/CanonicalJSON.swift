/// Canonical JSON (the subset of RFC 8785 that receipts need: objects, arrays, strings,
/// integers, booleans, null): members sorted by key (UTF-16 code units), no insignificant
/// whitespace, strings NFC with only the escapes JSON requires. The same receipt always
/// serializes to the same bytes, so its signature can be checked from the bytes alone.
public enum CanonicalJSON {
  public static func serialize(_ value: JSONValue) -> [UInt8] {
    var out: [UInt8] = []
    JSONText.write(value, style: .canonical, into: &out)
    return out
  }
}
