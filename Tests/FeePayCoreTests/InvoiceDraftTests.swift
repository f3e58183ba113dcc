import FeePayCore
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct InvoiceDraftTests {
  let now = Date(timeIntervalSince1970: 1_800_000_000)

  func body(_ edit: (inout [String: JSONValue]) -> Void = { _ in }) -> JSONValue {
    var b: [String: JSONValue] = [
      "agency_code": "HCM-STP", "dossier_code": "000.00.12.H29-261129-0001", "procedure_code": "1.001234",
      "payer": ["name": "Nguyễn Văn An", "id_number": "079123456789"],
      "lines": [["fee_code": "LPHT-01", "description": "Lệ phí", "quantity": 2, "unit_amount": 8000]],
    ]
    edit(&b)
    return .object(b)
  }

  func pointers(_ json: JSONValue) -> [String] {
    // A body that is wrongly accepted answers no pointer, which no test expects.
    do {
      _ = try InvoiceDraft(json: json, now: now)
      return []
    } catch {
      return error.errors.compactMap(\.pointer)
    }
  }

  @Test func validBodyGivesTotalsAndDefaults() throws {
    let draft = try InvoiceDraft(json: body(), now: now)
    #expect(draft.totalAmount == 16000)
    #expect(draft.lines[0].amount == 16000)
    #expect(draft.currency == .vnd)
    #expect(draft.expiresAt == now.addingTimeInterval(72 * 3600))
  }

  @Test func totalAboveCeilingIsRejected() {
    let json = body {
      $0["lines"] = .array(
        (0..<2).map { _ in ["fee_code": "A", "description": "d", "quantity": 10000, "unit_amount": 1_000_000_000_000] })
    }
    #expect(pointers(json) == ["/lines"])
  }

  @Test func everyProblemIsReportedAtOnce() {
    let json = body {
      $0["agency_code"] = nil
      $0["dossier_code"] = "bad code!"
      $0["lines"] = [["fee_code": "A", "description": "", "quantity": 0, "unit_amount": 1.5]]
    }
    #expect(
      Set(pointers(json)) == [
        "/agency_code", "/dossier_code", "/lines/0/description", "/lines/0/quantity", "/lines/0/unit_amount",
      ])
  }

  @Test func notAnObjectIsMalformed() {
    #expect(throws: FeePayError.self) { try InvoiceDraft(json: .array([]), now: now) }
    let error = #expect(throws: FeePayError.self) { try InvoiceDraft(json: .string("x"), now: now) }
    #expect(error?.code == .malformedRequest)
  }
}

@Suite(.timeLimit(.minutes(5))) struct JSONParserTests {
  @Test(arguments: [
    "{\"a\":1,}", "{'a':1}", "{\"a\":01}", "{\"a\":NaN}", "{\"a\":\"\\ud800\"}", "{\"a\":\"x\ny\"}", "[1,]",
    "{\"a\":1,\"a\":2}", "", " ", "{", "tru", "{\"a\" 1}", "1 2", "{\"a\":-}", "{\"a\":1.}", "{\"a\":.5}",
    String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
  ])
  func rejectsWhatIsNotStrictJSON(_ text: String) {
    #expect(throws: FeePayError.self) { try JSONValue.parse(Array(text.utf8)) }
  }

  @Test func rejectsInvalidUTF8() {
    #expect(throws: FeePayError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
  }

  @Test func parsesValuesExactly() throws {
    let value = try JSONValue.parse(
      Array(
        "\u{FEFF} {\"n\": 9223372036854775807, \"big\": 9223372036854775808, \"f\": -1.5e2, \"s\": \"\\u1EC5\\ud83d\\ude00\\n\", \"a\": [true, false, null], \"o\": {}}"
          .utf8))
    #expect(value["n"] == .integer(Int64.max))
    #expect(value["big"] == .number(9_223_372_036_854_775_808))
    #expect(value["f"] == .number(-150))
    #expect(value["s"] == .string("ễ😀\n"))
    #expect(value["a"] == .array([.bool(true), .bool(false), .null]))
    #expect(value["o"] == .object([:]))
    let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
    #expect(throws: Never.self) { try JSONValue.parse(Array(deep.utf8)) }
  }
}
