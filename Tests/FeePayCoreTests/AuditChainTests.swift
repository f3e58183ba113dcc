import FeePayCore
import Testing

@Suite struct AuditChainCoreTests {
  let entry = AuditChain.Entry(
    id: 7, atMicroseconds: 1_796_000_000_123_456, actor: "key:abc", action: "exception.resolve", subject: "exc_1",
    summary: #"{"note": "đã hoàn"}"#)

  @Test func theCanonicalFormLengthPrefixesEveryField() {
    #expect(
      String(decoding: entry.canonical, as: UTF8.self)
        == #"1:7|16:1796000000123456|7:key:abc|17:exception.resolve|5:exc_1|22:{"note": "đã hoàn"}|"#)
    // Moving a character from one field to the next changes the bytes.
    var shifted = entry
    shifted.actor = "key:ab"
    shifted.action = "cexception.resolve"
    #expect(shifted.canonical != entry.canonical)
  }

  @Test func eachLinkDependsOnTheOneBefore() {
    let first = AuditChain.link(AuditChain.genesis, entry)
    #expect(first.count == 32)
    #expect(AuditChain.link(AuditChain.genesis, entry) == first, "deterministic")
    var other = entry
    other.summary = #"{"note": "đã hoàn", "amount": 1}"#
    #expect(AuditChain.link(AuditChain.genesis, other) != first)
    #expect(AuditChain.link(first, entry) != first)
    #expect(AuditChain.link([UInt8](repeating: 1, count: 32), entry) != first)
  }
}
