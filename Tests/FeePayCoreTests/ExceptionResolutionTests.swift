import FeePayCore
import Testing

/// The accounting policy of resolving exceptions, for every (kind, action) pair: which are
/// refused, and for the others exactly which journals are posted (each balanced).
@Suite(.timeLimit(.minutes(5))) struct ExceptionResolutionTests {
  let amount: Int64 = 26_000
  let connector = "vcb"
  var suspense: LedgerAccount { .suspense(connector: connector) }

  func plan(_ kind: ExceptionKind, _ action: ResolutionAction) throws(ResolveRefusal) -> ResolutionPlan {
    try ResolutionPlan.plan(kind: kind, action: action, amount: amount, connector: connector)
  }

  /// Every pair, spelled out: nil means refused.
  var expected: [ExceptionKind: [ResolutionAction: ResolutionPlan?]] {
    let refund = JournalDraft(
      kind: "exception.refund", postings: [.debit(suspense, amount), .credit(.refundsPayable, amount)])
    let writeOff = JournalDraft(
      kind: "exception.write_off", postings: [.debit(suspense, amount), .credit(.writeOff, amount)])
    let intoSuspense = JournalDraft(
      kind: "exception.accept_bank_record",
      postings: [.debit(.bankSettled(connector: connector), amount), .credit(suspense, amount)])
    let held: [ResolutionAction: ResolutionPlan?] = [
      .applyToInvoice: ResolutionPlan(journals: [], paysInvoice: true),
      .refund: ResolutionPlan(journals: [refund], paysInvoice: false),
      .writeOff: ResolutionPlan(journals: [writeOff], paysInvoice: false),
      .acceptBankRecord: nil,
    ]
    let bankHolds: [ResolutionAction: ResolutionPlan?] = [
      .applyToInvoice: ResolutionPlan(journals: [intoSuspense], paysInvoice: true),
      .refund: ResolutionPlan(journals: [intoSuspense, refund], paysInvoice: false),
      .writeOff: ResolutionPlan(journals: [intoSuspense, writeOff], paysInvoice: false),
      .acceptBankRecord: ResolutionPlan(journals: [intoSuspense], paysInvoice: false),
    ]
    return [
      .unknownPaymentCode: held, .amountMismatch: held, .invoiceNotOpen: held, .alreadyPaid: held,
      .connectorNotAllowed: held,
      .missingInFeePay: bankHolds,
      // The bank holds it too; the line only names the invoice it would pay.
      .recoveryPendingApproval: bankHolds,
      .missingInBank: [
        .applyToInvoice: nil, .refund: nil,
        .writeOff: ResolutionPlan(
          journals: [
            JournalDraft(
              kind: "exception.write_off",
              postings: [.debit(.writeOff, amount), .credit(.bankClearing(connector: connector), amount)])
          ], paysInvoice: false),
        .acceptBankRecord: ResolutionPlan(journals: [], paysInvoice: false),
      ],
      .amountMismatchInStatement: [
        .applyToInvoice: nil, .refund: nil, .writeOff: nil,
        .acceptBankRecord: ResolutionPlan(journals: [], paysInvoice: false),
      ],
    ]
  }

  @Test(arguments: ExceptionKind.allCases)
  func everyActionOf(_ kind: ExceptionKind) throws {
    let table = try #require(expected[kind], "the table must list \(kind)")
    #expect(Set(table.keys) == Set(ResolutionAction.allCases))
    for action in ResolutionAction.allCases {
      switch table[action]! {
      case nil:
        #expect(throws: ResolveRefusal.notApplicable(kind, action)) { try plan(kind, action) }
      case let wanted?:
        let got = try plan(kind, action)
        #expect(got == wanted, "\(kind) + \(action)")
        for journal in got.journals { #expect(journal.isBalanced, "\(journal.kind) must balance") }
      }
    }
  }

  @Test func theTableCoversEveryKind() {
    #expect(Set(expected.keys) == Set(ExceptionKind.allCases))
  }

  /// Four eyes: money out of suspense above the threshold (0: always) needs a second
  /// person; a recovery from an uploaded file always does; accepting the bank's record
  /// never does.
  @Test(arguments: ExceptionKind.allCases)
  func whoMustApprove(_ kind: ExceptionKind) {
    let always = FourEyes()
    let above = FourEyes(above: 10_000)
    for action in ResolutionAction.allCases {
      let movesMoney = action != .acceptBankRecord
      #expect(always.needsApproval(kind: kind, action: action, amount: 1) == movesMoney, "\(kind) + \(action)")
      #expect(above.needsApproval(kind: kind, action: action, amount: 10_001) == movesMoney)
      #expect(
        above.needsApproval(kind: kind, action: action, amount: 10_000)
          == (movesMoney && kind == .recoveryPendingApproval), "\(kind) + \(action) at the threshold")
    }
  }

  /// The approver must not be the proposer; the approved resolution names both.
  @Test func aProposalIsApprovedBySomeoneElse() throws {
    let p = PaymentException.Proposal(
      action: .refund, invoiceID: nil, note: "returned", by: "staff:a@example.vn", at: "2026-12-03T10:00:00+07:00")
    #expect(throws: ResolveRefusal.samePerson("staff:a@example.vn")) {
      try p.approved(by: "staff:a@example.vn", at: "2026-12-03T10:05:00+07:00")
    }
    let r = try p.approved(by: "staff:b@example.vn", at: "2026-12-03T10:05:00+07:00")
    #expect(r.by == "staff:a@example.vn")
    #expect(r.approvedBy == "staff:b@example.vn")
    #expect(r.action == "refund")
  }
}
