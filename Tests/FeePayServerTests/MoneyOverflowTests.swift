import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

/// A sum of amounts past what an `Int64` holds is a `422` that says so, never a trap or a
/// 500: in PostgreSQL (a report's `sum(...)::bigint`) and in Swift (adding the report's rows).
@Suite(.timeLimit(.minutes(5))) struct MoneyOverflowTests {
  /// Posts `amount` from the bank's clearing account to a fee code of agency `A` on `day`.
  func post(_ world: TestWorld, fee: String, amount: Int64, day: BusinessDate) async throws {
    let ledger = LedgerStore(database: world.database, ids: IDGenerator(clock: SystemClock()))
    _ = try await world.database.transaction { c in
      try await ledger.post(
        JournalDraft(
          kind: "test.overflow",
          postings: [
            .debit(.bankClearing(connector: "vcb"), amount), .credit(.feesPayable(agency: "A", feeCode: fee), amount),
          ]),
        reference: "test", businessDate: day, on: c, now: Date())
    }
  }

  @Test func remittanceSumsPastInt64AreRefusedClearly() async throws {
    try await withFeePay(isolated: true) { world, client in
      // One fee code whose day sums past 2⁶³ − 1 in PostgreSQL.
      let sqlDay = try #require(BusinessDate("2030-01-01"))
      for _ in 0..<3 { try await post(world, fee: "F1", amount: 4_000_000_000_000_000_000, day: sqlDay) }
      let inSQL = try await client.send(.get, "/v1/reports/remittance?date=\(sqlDay)", key: world.auditorKey)
      #expect(inSQL.status == .unprocessableContent)
      #expect(inSQL.json["code"] == "validation_failed")
      #expect(inSQL.json["detail"]?.stringValue?.contains("larger than FeePay can count") == true)
      // Two fee codes that each fit, whose total does not: the sum in Swift.
      let swiftDay = try #require(BusinessDate("2030-01-02"))
      for fee in ["F1", "F2"] { try await post(world, fee: fee, amount: 5_000_000_000_000_000_000, day: swiftDay) }
      let inSwift = try await client.send(.get, "/v1/reports/remittance?date=\(swiftDay)", key: world.auditorKey)
      #expect(inSwift.status == .unprocessableContent)
      #expect(inSwift.json["detail"]?.stringValue?.contains("larger than FeePay can count") == true)
    }
  }

  @Test func aJournalWhoseSumsOverflowIsNotBalanced() {
    let huge: Int64 = .max
    let journal = JournalDraft(
      kind: "x", postings: [.debit(.writeOff, huge), .debit(.writeOff, huge), .credit(.refundsPayable, 2)])
    #expect(!journal.isBalanced)
  }
}
