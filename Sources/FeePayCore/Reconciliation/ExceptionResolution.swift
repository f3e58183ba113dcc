/// What an accountant may do with an open payment exception (`POST /v1/exceptions/{id}/resolve`).
public enum ResolutionAction: String, Sendable, CaseIterable, Codable {
  /// Pay an open invoice of exactly the amount held from suspense.
  case applyToInvoice = "apply_to_invoice"
  /// The money is owed back to the payer.
  case refund
  /// The difference is written off as an expense.
  case writeOff = "write_off"
  /// The bank's record stands as it is.
  case acceptBankRecord = "accept_bank_record"
}

/// Why a resolution is refused. Domain facts only: the server says which field of the
/// request each one concerns.
public enum ResolveRefusal: Error, Sendable, Equatable {
  /// The action does not apply to an exception of this kind.
  case notApplicable(ExceptionKind, ResolutionAction)
  /// `apply_to_invoice` needs the invoice it pays.
  case invoiceRequired
  /// The invoice's total is not the amount held.
  case amountDiffers(held: Int64, invoiceTotal: Int64)
  /// The connector that took the money may not collect for the invoice's agency: one
  /// agency's money never settles another's invoice.
  case agencyNotCollected(connector: String, agency: String)
  /// The person approving a proposal is the one who proposed it (or uploaded the statement
  /// that proposed it): no money moves on one person's word.
  case samePerson(String)
  /// The exception already waits for the approval of a proposal; withdraw it first.
  case proposalPending
  /// There is no proposal to approve or withdraw.
  case noProposal
}

/// Four eyes: which resolutions one person may only propose and a second must approve.
///
/// Every resolution that moves money out of suspense or writes it off (`apply_to_invoice`,
/// `refund`, `write_off`) of more than ``above`` minor units needs a second person; 0 (the
/// default) means every one. A recovery that only a statement upload vouches for
/// (`recovery_pending_approval`) always does, whatever its amount. `accept_bank_record`
/// moves nothing out of suspense and never needs one.
public struct FourEyes: Sendable, Equatable {
  public var above: Int64

  public init(above: Int64 = 0) { self.above = above }

  public func needsApproval(kind: ExceptionKind, action: ResolutionAction, amount: Int64) -> Bool {
    switch action {
    case .acceptBankRecord: false
    case .applyToInvoice, .refund, .writeOff: kind == .recoveryPendingApproval || amount > above
    }
  }
}

/// The accounting policy of resolving an exception: for each (kind, action) pair the
/// journals to post, and whether an invoice is then paid from suspense. Pure; the store
/// applies the plan in the resolving transaction.
public struct ResolutionPlan: Sendable, Equatable {
  /// Posted in this order, before the invoice (if any) is paid.
  public var journals: [JournalDraft]
  /// Whether the amount held in the connector's suspense account pays an invoice
  /// (``JournalDraft/settling(_:from:kind:)`` with kind `exception.apply_to_invoice`).
  public var paysInvoice: Bool

  public init(journals: [JournalDraft], paysInvoice: Bool) {
    self.journals = journals
    self.paysInvoice = paysInvoice
  }

  /// The kinds whose money FeePay already holds in suspense (a callback it could not apply).
  public static let heldInSuspense: Set<ExceptionKind> = [
    .unknownPaymentCode, .amountMismatch, .invoiceNotOpen, .alreadyPaid, .connectorNotAllowed,
  ]

  /// The plan for resolving an exception of `kind` holding `amount` for `connector` with
  /// `action`, or the refusal.
  ///
  /// - Money held in suspense (``heldInSuspense``) can pay an invoice, be refunded or be
  ///   written off; the bank's record cannot be "accepted" for it (it is FeePay's record).
  /// - `missing_in_feepay` (the bank holds money FeePay never heard of) is first taken into
  ///   suspense from the settled bank account; then any action applies, and
  ///   `accept_bank_record` leaves it there, attributed to nothing. So is
  ///   `recovery_pending_approval` (the bank holds money whose line names an invoice).
  /// - `missing_in_bank` (FeePay recorded a payment the bank never settled) can stand as it
  ///   is or be written off against the bank's clearing account.
  /// - `amount_mismatch_in_statement` can only stand as it is.
  public static func plan(
    kind: ExceptionKind, action: ResolutionAction, amount: Int64, connector: String
  ) throws(ResolveRefusal) -> ResolutionPlan {
    let suspense = LedgerAccount.suspense(connector: connector)
    func fromSuspense(_ action: ResolutionAction) -> ResolutionPlan {
      switch action {
      case .applyToInvoice:
        ResolutionPlan(journals: [], paysInvoice: true)
      case .refund:
        ResolutionPlan(
          journals: [
            JournalDraft(
              kind: "exception.refund", postings: [.debit(suspense, amount), .credit(.refundsPayable, amount)])
          ], paysInvoice: false)
      case .writeOff:
        ResolutionPlan(
          journals: [
            JournalDraft(kind: "exception.write_off", postings: [.debit(suspense, amount), .credit(.writeOff, amount)])
          ], paysInvoice: false)
      case .acceptBankRecord:
        ResolutionPlan(journals: [], paysInvoice: false)
      }
    }
    switch (kind, action) {
    case (.missingInFeePay, _), (.recoveryPendingApproval, _):
      var plan = fromSuspense(action)
      plan.journals.insert(
        JournalDraft(
          kind: "exception.accept_bank_record",
          postings: [.debit(.bankSettled(connector: connector), amount), .credit(suspense, amount)]), at: 0)
      return plan
    case (let kind, _) where heldInSuspense.contains(kind) && action != .acceptBankRecord:
      return fromSuspense(action)
    case (.missingInBank, .acceptBankRecord), (.amountMismatchInStatement, .acceptBankRecord):
      return ResolutionPlan(journals: [], paysInvoice: false)
    case (.missingInBank, .writeOff):
      return ResolutionPlan(
        journals: [
          JournalDraft(
            kind: "exception.write_off",
            postings: [.debit(.writeOff, amount), .credit(.bankClearing(connector: connector), amount)])
        ], paysInvoice: false)
    default:
      throw .notApplicable(kind, action)
    }
  }
}
