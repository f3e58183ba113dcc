import FeePayCore
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct CitizenFormatTests {
  @Test func moneyIsWrittenAsVietnameseReadersWriteIt() {
    #expect(CitizenFormat.money(26_000) == "26.000\u{00A0}₫")
    #expect(CitizenFormat.money(1) == "1\u{00A0}₫")
    #expect(CitizenFormat.money(1_000_000_000_000) == "1.000.000.000.000\u{00A0}₫")
    #expect(CitizenFormat.money(-5_500) == "-5.500\u{00A0}₫")
  }

  @Test func timesAreVietnamsWallClock() throws {
    #expect(CitizenFormat.vietnamTime(try #require(Timestamp.parse("2026-12-05T05:07:30Z"))) == "12:07, 05/12/2026")
    // 17:30 UTC on 31 December is already the next year in Hanoi.
    #expect(CitizenFormat.vietnamTime(try #require(Timestamp.parse("2026-12-31T17:30:00Z"))) == "00:30, 01/01/2027")
  }

  @Test func payersNamesAreMasked() {
    #expect(CitizenFormat.maskedName("Nguyễn Văn An") == "Nguyễn V. A.")
    #expect(CitizenFormat.maskedName("  Trần   Thị  Bình ") == "Trần T. B.")
    #expect(CitizenFormat.maskedName("Ê\u{0301}") == "Ế.")  // decomposed input, one word
    #expect(CitizenFormat.maskedName("") == "")
  }

  @Test func theShippedBankListNamesBanksByBIN() throws {
    let url = try #require(
      Bundle.module.url(forResource: "vietqr-banks", withExtension: "json", subdirectory: "Fixtures"))
    let banks = try BankDirectory(json: Array(try Data(contentsOf: url)))
    #expect(banks.count > 50)
    #expect(banks["970436"]?.shortName == "Vietcombank")
    #expect(banks["970418"]?.name == "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam")
    // A BIN reused after a merger names the current bank, not the deprecated one.
    #expect(banks["970449"]?.shortName == "LPBank")
    #expect(banks["970406"]?.shortName == "Vikki Bank")
    #expect(banks["999999"] == nil)
    #expect(throws: (any Error).self) { try BankDirectory(json: Array(#"{"banks": []}"#.utf8)) }
  }
}
