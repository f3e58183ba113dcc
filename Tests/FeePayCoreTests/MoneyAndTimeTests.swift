import FeePayCore
import Foundation
import Testing

@Suite(.timeLimit(.minutes(5))) struct MoneyTests {
  @Test func multiplicationAndSumsAreChecked() throws {
    #expect(try MoneyMath.multiply(2, 8000) == 16000)
    #expect(throws: MoneyMath.Overflow.self) { try MoneyMath.multiply(Int64.max / 2 + 1, 2) }
    #expect(throws: MoneyMath.Overflow.self) { try MoneyMath.add(Int64.max, 1) }
    #expect(throws: MoneyMath.Overflow.self) { try MoneyMath.sum([Int64.max, 1]) }
    #expect(try MoneyMath.sum([1, 2, 3]) == 6)
  }
}

@Suite(.timeLimit(.minutes(5))) struct TimestampTests {
  @Test(arguments: [
    ("2026-11-29T10:15:00+07:00", "2026-11-29T03:15:00Z"),
    ("2026-11-29T03:15:00Z", "2026-11-29T03:15:00Z"),
    ("2026-11-29t03:15:00.999z", "2026-11-29T03:15:00Z"),
    ("2024-02-29T23:59:59-05:30", "2024-03-01T05:29:59Z"),
    ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
  ])
  func parsesAndFormatsInUTC(_ input: String, _ utc: String) throws {
    let date = try #require(Timestamp.parse(input))
    #expect(Timestamp.format(date) == utc)
  }

  @Test(arguments: [
    "2026-11-29", "2026-11-29T10:15:00", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-29T24:00:00Z",
    "2026-11-29T10:15:00+0700", "2026-11-29T10:15:00+07:00 ", "２０２６-11-29T10:15:00Z", "",
  ])
  func rejectsWhatIsNotRFC3339(_ input: String) {
    #expect(Timestamp.parse(input) == nil)
  }

  @Test func businessDateIsTheVietnameseCalendarDay() throws {
    // 17:00Z on 28 Nov is 00:00 on 29 Nov in Hanoi.
    let date = try #require(Timestamp.parse("2026-11-28T17:00:00Z"))
    #expect(BusinessDate(containing: date).description == "2026-11-29")
    #expect(BusinessDate(containing: date.addingTimeInterval(-1)).description == "2026-11-28")
    #expect(BusinessDate("2026-11-29")?.start == date)
    #expect(BusinessDate("2026-02-30") == nil)
    #expect(BusinessDate("26-11-29") == nil)
  }

  @Test func manualClockMovesOnlyWhenTold() {
    let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
    let before = clock.now
    #expect(clock.now == before)
    clock.advance(by: 90)
    #expect(clock.now.timeIntervalSince(before) == 90)
  }
}

@Suite(.timeLimit(.minutes(5))) struct IdentifierTests {
  @Test func idsAreWellFormedAndSortByTime() {
    let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
    let ids = IDGenerator(clock: clock)
    var previous = ""
    for _ in 0..<50 {
      let id = ids.make(.invoice)
      #expect(IDGenerator.isWellFormed(id, kind: .invoice))
      #expect(!IDGenerator.isWellFormed(id, kind: .payment))
      #expect(id > previous)
      previous = id
      clock.advance(by: 0.002)
    }
    #expect(!IDGenerator.isWellFormed("inv_../../etc/passwd", kind: .invoice))
  }
}

@Suite(.timeLimit(.minutes(5))) struct SecurityTests {
  @Test func apiKeysHaveTheDocumentedShape() {
    let key = NewAPIKey.generate()
    #expect(key.secret.hasPrefix("fpk_"))
    #expect(key.secret.count >= 4 + 43)
    #expect(NewAPIKey.lookupPrefix(of: key.secret) == key.prefix)
    #expect(key.hash == NewAPIKey.sha256(key.secret))
    #expect(NewAPIKey.lookupPrefix(of: "fpk_short") == nil)
    #expect(NewAPIKey.lookupPrefix(of: "sk_" + String(repeating: "a", count: 50)) == nil)
  }

  @Test func secretBoxOpensOnlyWithTheSameKeyAndContext() throws {
    let box = try SecretBox(base64: SecretBox.generateMasterKey())
    let sealed = box.seal("whsec_abc", context: "portal:a:webhook")
    #expect(try box.open(sealed, context: "portal:a:webhook") == "whsec_abc")
    #expect(throws: SecretBox.Error.self) { try box.open(sealed, context: "portal:b:webhook") }
    let other = try SecretBox(base64: SecretBox.generateMasterKey())
    #expect(throws: SecretBox.Error.self) { try other.open(sealed, context: "portal:a:webhook") }
    var tampered = sealed
    tampered[tampered.count - 1] ^= 1
    #expect(throws: SecretBox.Error.self) { try box.open(tampered, context: "portal:a:webhook") }
    #expect(throws: SecretBox.Error.self) { try SecretBox(base64: "dG9vIHNob3J0") }
  }

  @Test func constantTimeComparison() {
    #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
    #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
    #expect(!constantTimeEquals([1, 2], [1, 2, 3]))
  }

  @Test func textIsNormalizedToNFC() {
    let decomposed = "Nguye\u{0302}\u{0303}n Va\u{0306}n An"
    // Bytes, not Strings: Swift's == treats composed and decomposed text as equal.
    #expect(Array(decomposed.utf8) != Array("Nguyễn Văn An".utf8))
    #expect(Array(decomposed.nfc.utf8) == Array("Nguyễn Văn An".utf8))
    #expect("Đặng Thị Ánh".asciiFolded == "Dang Thi Anh")
  }
}

@Suite(.timeLimit(.minutes(5))) struct VietnamLocalTimeTests {
  @Test(arguments: [
    ("2026-12-03T14:30", "2026-12-03T07:30:00Z"),
    ("2026-12-03T00:00:59", "2026-12-02T17:00:59Z"),
    ("2024-02-29T23:59", "2024-02-29T16:59:00Z"),
  ])
  func parsesAFieldAsVietnamTime(_ text: String, _ utc: String) throws {
    let date = try #require(VietnamLocalTime.parse(text))
    #expect(Timestamp.format(date) == utc)
  }

  @Test(arguments: [
    "2026-12-03", "2026-12-03T24:00", "2026-12-03T12:60", "2026-12-03T+1:00", "2026-02-30T10:00", "2026-12-03T10",
    "2026-12-03T10:00:61", "2026-12-03 10:00", "",
  ])
  func refusesWhatIsNotOne(_ text: String) {
    #expect(VietnamLocalTime.parse(text) == nil)
  }

  @Test func formatsToTheMinuteAndRoundTrips() throws {
    let date = try #require(Timestamp.parse("2026-12-31T17:05:42Z"))
    #expect(VietnamLocalTime.format(date) == "2027-01-01T00:05")
    #expect(VietnamLocalTime.parse(VietnamLocalTime.format(date)) == Timestamp.parse("2026-12-31T17:05:00Z"))
  }

  @Test func daysBetweenBusinessDates() throws {
    let a = try #require(BusinessDate("2024-02-28"))
    #expect(a.days(to: try #require(BusinessDate("2024-03-01"))) == 2)
    #expect(a.days(to: try #require(BusinessDate("2025-02-28"))) == 366)
    #expect(try #require(BusinessDate("2026-12-03")).firstOfMonth == BusinessDate("2026-12-01"))
  }
}
