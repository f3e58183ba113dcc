/// The double-entry ledger's accounts (docs/design/domain.md). Accounts exist on demand; each is named
/// by its type and owner, as `bank_clearing:vcb` or `fees_payable:HCM-STP:LPHT-01`.
public enum LedgerAccount: Sendable, Hashable {
  case bankClearing(connector: String)
  case bankSettled(connector: String)
  case feesPayable(agency: String, feeCode: String)
  case suspense(connector: String)
  case refundsPayable
  case writeOff

  public enum Kind: String, Sendable {
    case asset, liability, expense, income
  }

  public var code: String {
    switch self {
    case .bankClearing(let c): "bank_clearing:\(c)"
    case .bankSettled(let c): "bank_settled:\(c)"
    case .feesPayable(let a, let f): "fees_payable:\(a):\(f)"
    case .suspense(let c): "suspense:\(c)"
    case .refundsPayable: "refunds_payable"
    case .writeOff: "write_off"
    }
  }

  public var kind: Kind {
    switch self {
    case .bankClearing, .bankSettled: .asset
    case .feesPayable, .suspense, .refundsPayable: .liability
    case .writeOff: .expense
    }
  }
}

/// One line of a journal: an amount debited or credited to an account.
public struct Posting: Sendable, Hashable {
  public var account: LedgerAccount
  public var debit: Int64
  public var credit: Int64

  public static func debit(_ account: LedgerAccount, _ amount: Int64) -> Posting {
    Posting(account: account, debit: amount, credit: 0)
  }

  public static func credit(_ account: LedgerAccount, _ amount: Int64) -> Posting {
    Posting(account: account, debit: 0, credit: amount)
  }
}

/// A balanced set of postings for one event. The database refuses an unbalanced journal
/// too; building it here keeps the rule in the domain, where it is tested without one.
public struct JournalDraft: Sendable, Hashable {
  public var kind: String
  public var postings: [Posting]

  public init(kind: String, postings: [Posting]) {
    self.kind = kind
    self.postings = postings
  }

  /// Two postings at least, and debits equal to credits (a journal whose sums overflow is
  /// not balanced: it cannot be posted).
  public var isBalanced: Bool {
    guard postings.count >= 2, let debits = try? MoneyMath.sum(postings.map(\.debit)),
      let credits = try? MoneyMath.sum(postings.map(\.credit))
    else { return false }
    return debits == credits
  }

  /// A payment that settles an invoice: the bank's clearing account is debited with the
  /// total, and each fee code of the invoice's agency is credited with its lines' amounts.
  public static func paymentAccepted(connector: String, invoice: Invoice) -> JournalDraft {
    settling(invoice, from: .bankClearing(connector: connector), kind: "payment.accepted")
  }

  /// Money taken from `account` to settle `invoice`: `account` is debited with the total and
  /// each fee code of the invoice's agency credited with its lines' amounts.
  public static func settling(_ invoice: Invoice, from account: LedgerAccount, kind: String) -> JournalDraft {
    var byFee: [String: Int64] = [:]
    for line in invoice.lines { byFee[line.feeCode, default: 0] += line.amount }
    return JournalDraft(
      kind: kind,
      postings: [.debit(account, invoice.totalAmount)]
        + byFee.sorted { $0.key < $1.key }.map {
          .credit(.feesPayable(agency: invoice.agencyCode, feeCode: $0.key), $0.value)
        })
  }

  /// Money that arrived but cannot settle an invoice: held in suspense.
  public static func paymentException(connector: String, amount: Int64) -> JournalDraft {
    JournalDraft(
      kind: "payment.exception",
      postings: [.debit(.bankClearing(connector: connector), amount), .credit(.suspense(connector: connector), amount)])
  }
}
