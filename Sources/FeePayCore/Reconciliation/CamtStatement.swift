public import Foundation

#if canImport(FoundationXML)
  public import FoundationXML
#endif

/// Reads ISO 20022 camt.053 and camt.054 (versions .001.02 to .001.08) with a streaming
/// parser: one statement line per transaction of each booked entry (docs/design/protocols.md §4).
public final class CamtStatement: NSObject, XMLParserDelegate {
  public private(set) var lines: Int = 0
  public private(set) var kind: String?
  var path: [String] = []
  var text = ""
  var entry: Entry?
  var transaction: Transaction?
  var failure: StatementError?
  let emit: (StatementLine) throws -> Void
  var entryIndex = 0

  struct Amount {
    var value: String
    var currency: String
  }

  struct Transaction {
    var acctSvcrRef: String?
    var endToEndID: String?
    /// Further references, used only when neither AcctSvcrRef nor EndToEndId is given.
    var otherRef: String?
    var amount: Amount?
    var structuredRef: String?
    var unstructured: [String] = []
    var debtorAccount: String?
  }

  struct Entry {
    var amount: Amount?
    var creditDebit: String?
    var status: String?
    var reversal = false
    var booked: Date?
    var acctSvcrRef: String?
    var entryRef: String?
    var transactions: [Transaction] = []
  }

  public init(emit: @escaping (StatementLine) throws -> Void) { self.emit = emit }

  public static let namespacePrefix = "urn:iso:std:iso:20022:tech:xsd:"

  /// How much of a file ``checkProlog(_:)`` needs to see: the root element must start within it.
  public static let prologLimit = 64 * 1024

  /// Refuses a document type declaration, before anything is parsed: a camt message has
  /// none, and a DTD is where entities are declared (internal ones expand "billion laughs"
  /// style, external ones read files or URLs). Without one only XML's five predefined
  /// entities and character references exist, which expand to one character each. `head` is
  /// the file's first ``prologLimit`` bytes (or all of it): the XML declaration, comments
  /// and processing instructions may come before the root element, nothing else.
  public static func checkProlog(_ head: some Collection<UInt8>) throws(StatementError) {
    let bytes = Array(head)
    var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    func starts(_ s: String, at j: Int) -> Bool {
      let t = Array(s.utf8)
      return j + t.count <= bytes.count && Array(bytes[j..<(j + t.count)]) == t
    }
    func skip(past end: String) -> Bool {
      let t = Array(end.utf8)
      var j = i
      while j + t.count <= bytes.count {
        if Array(bytes[j..<(j + t.count)]) == t {
          i = j + t.count
          return true
        }
        j += 1
      }
      return false
    }
    scan: while i < bytes.count {
      switch bytes[i] {
      case 0x20, 0x09, 0x0A, 0x0D:
        i += 1
      case UInt8(ascii: "<") where starts("<?", at: i):
        guard skip(past: "?>") else { break scan }
      case UInt8(ascii: "<") where starts("<!--", at: i):
        guard skip(past: "-->") else { break scan }
      case UInt8(ascii: "<") where starts("<!", at: i):
        let word = String(decoding: bytes[(i + 2)..<min(bytes.count, i + 9)], as: UTF8.self).uppercased()
        throw StatementError(
          location: "/",
          reason: word.hasPrefix("DOCTYPE")
            ? "the file has a document type declaration (<!DOCTYPE>); a camt statement has none, and none is read"
            : "the file has a markup declaration before its root element")
      case UInt8(ascii: "<"):
        return
      default:
        throw StatementError(location: "/", reason: "not an XML document (text before the root element)")
      }
    }
    if bytes.count >= prologLimit {
      throw StatementError(location: "/", reason: "no root element in the first \(prologLimit / 1024) KiB")
    }
  }

  /// Parses a whole stream; throws the first problem with its line or element path. The
  /// caller checks the file's prolog first (``checkProlog(_:)``): FoundationXML expands the
  /// entities a DTD declares and tells its delegate nothing of them.
  public func parse(_ stream: InputStream) throws(StatementError) {
    let parser = XMLParser(stream: stream)
    parser.delegate = self
    parser.shouldProcessNamespaces = false
    parser.shouldResolveExternalEntities = false
    let ok = parser.parse()
    if let failure { throw failure }
    guard ok else {
      throw StatementError(
        location: "line \(parser.lineNumber)",
        reason: "not well-formed XML (\(parser.parserError?.localizedDescription ?? "parse error"))")
    }
    guard finished else {
      throw StatementError(location: "line \(parser.lineNumber)", reason: "the document ends before </Document>")
    }
    guard let kind else {
      throw StatementError(
        location: "/Document", reason: "not a camt.053 or camt.054 document (versions .001.02-.001.08)")
    }
    guard containers > 0 else {
      let (parent, child) = kind == "camt.053" ? ("BkToCstmrStmt", "Stmt") : ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
      throw StatementError(
        location: "/Document/\(parent)", reason: "no \(child) element: the message holds no statement")
    }
  }

  var location: String { "/" + path.joined(separator: "/") }

  func fail(_ parser: XMLParser, _ reason: String) {
    if failure == nil { failure = StatementError(location: location, reason: reason) }
    parser.abortParsing()
  }

  public func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    let local = name.split(separator: ":").last.map(String.init) ?? name
    path.append(local)
    text = ""
    if path.count == 1 {
      guard local == "Document",
        let ns = attributes.first(where: {
          $0.key == "xmlns" || $0.key.hasPrefix("xmlns:") && $0.value.hasPrefix(Self.namespacePrefix)
        })?.value,
        ns.hasPrefix(Self.namespacePrefix)
      else { return fail(parser, "the root must be an ISO 20022 Document") }
      let message = ns.dropFirst(Self.namespacePrefix.count)
      let versions = (2...8).map { String(format: "%02d", $0) }
      guard ["camt.053.001.", "camt.054.001."].contains(where: { message.hasPrefix($0) }),
        versions.contains(String(message.suffix(2)))
      else {
        return fail(parser, "unsupported message \(message); FeePay reads camt.053 and camt.054, .001.02 to .001.08")
      }
      kind = String(message.prefix(8))
    }
    if path.count == 3 && (local == "Stmt" || local == "Ntfctn") { containers += 1 }
    switch local {
    case "Ntry":
      entry = Entry()
      entryIndex += 1
    case "TxDtls" where entry != nil: transaction = Transaction()
    case "Amt" where entry != nil:
      let currency = attributes["Ccy"] ?? ""
      if currency.count != 3 { fail(parser, "an amount needs a 3-letter Ccy attribute") }
      pendingCurrency = currency
    default: break
    }
  }

  var pendingCurrency = ""
  var containers = 0
  var finished = false

  public func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

  func ends(_ suffix: [String]) -> Bool { path.count >= suffix.count && Array(path.suffix(suffix.count)) == suffix }

  public func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
    let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
    defer {
      if path.count == 1 { finished = true }
      path.removeLast()
      text = ""
    }
    guard entry != nil else { return }
    if transaction != nil {
      if ends(["TxDtls", "Refs", "AcctSvcrRef"]) { transaction?.acctSvcrRef = value }
      if ends(["TxDtls", "Refs", "EndToEndId"]) { transaction?.endToEndID = value }
      if ends(["TxDtls", "Refs", "TxId"]) || ends(["TxDtls", "Refs", "Prtry", "Ref"]) {
        if transaction?.otherRef == nil { transaction?.otherRef = value }
      }
      if ends(["AmtDtls", "TxAmt", "Amt"]) { transaction?.amount = Amount(value: value, currency: pendingCurrency) }
      if ends(["Strd", "CdtrRefInf", "Ref"]) { transaction?.structuredRef = value }
      if ends(["RmtInf", "Ustrd"]) { transaction?.unstructured.append(value) }
      if ends(["DbtrAcct", "Id", "IBAN"]) || ends(["DbtrAcct", "Id", "Othr", "Id"]) {
        transaction?.debtorAccount = value
      }
      if ends(["TxDtls"]), let t = transaction {
        entry?.transactions.append(t)
        transaction = nil
      }
      return
    }
    if ends(["Ntry", "Amt"]) { entry?.amount = Amount(value: value, currency: pendingCurrency) }
    if ends(["Ntry", "CdtDbtInd"]) { entry?.creditDebit = value }
    if ends(["Ntry", "Sts"]) || ends(["Ntry", "Sts", "Cd"]) { if !value.isEmpty { entry?.status = value } }
    if ends(["Ntry", "RvslInd"]) { entry?.reversal = value == "true" || value == "1" }
    if ends(["Ntry", "BookgDt", "Dt"]) { entry?.booked = Timestamp.parse(value + "T00:00:00+07:00") }
    if ends(["Ntry", "BookgDt", "DtTm"]) {
      entry?.booked = Timestamp.parse(value) ?? Timestamp.parse(value + "+07:00")
    }
    if ends(["Ntry", "AcctSvcrRef"]) { entry?.acctSvcrRef = value }
    if ends(["Ntry", "NtryRef"]) { entry?.entryRef = value }
    if ends(["Ntry"]), let e = entry {
      entry = nil
      do { try finish(e) } catch let error as StatementError {
        failure = error
        parser.abortParsing()
      } catch {
        fail(parser, "\(error)")
      }
    }
  }

  func finish(_ e: Entry) throws {
    let at = location + "[\(entryIndex)]"
    guard e.status == "BOOK" else { return }  // pending and informational entries are not settlements
    guard let cd = e.creditDebit, cd == "CRDT" || cd == "DBIT" else {
      throw StatementError(location: at, reason: "CdtDbtInd must be CRDT or DBIT")
    }
    var transactions = e.transactions.isEmpty ? [Transaction()] : e.transactions
    if transactions.count > 1 && transactions.allSatisfy({ $0.amount == nil }) {
      // A batch booking whose details carry no amounts: one line for the entry.
      let refs = Set(transactions.compactMap(\.structuredRef))
      transactions = [
        Transaction(
          acctSvcrRef: e.acctSvcrRef, endToEndID: transactions[0].endToEndID, otherRef: transactions[0].otherRef,
          amount: nil, structuredRef: refs.count == 1 ? refs.first : nil,
          unstructured: transactions.flatMap(\.unstructured), debtorAccount: nil)
      ]
    }
    for t in transactions {
      lines += 1
      guard let amount = t.amount ?? (transactions.count == 1 ? e.amount : nil) else {
        throw StatementError(
          location: at, reason: "no amount: TxDtls/AmtDtls/TxAmt/Amt, or Ntry/Amt for a single transaction")
      }
      guard let minor = StatementAmount.parse(amount.value, currency: amount.currency), minor > 0 else {
        throw StatementError(location: at, reason: "\"\(amount.value)\" is not a positive amount in \(amount.currency)")
      }
      guard let txn = t.acctSvcrRef ?? e.acctSvcrRef ?? t.endToEndID ?? t.otherRef ?? e.entryRef, !txn.isEmpty,
        txn.utf8.count <= 64
      else {
        throw StatementError(location: at, reason: "no bank transaction id (AcctSvcrRef or EndToEndId)")
      }
      let memo = t.unstructured.joined(separator: " ")
      try emit(
        StatementLine(
          lineNo: lines, bankTxnID: txn, paymentCode: t.structuredRef, amount: minor, currency: amount.currency,
          isCredit: cd == "CRDT", isReversal: e.reversal, bookedAt: e.booked, payerAccount: t.debtorAccount,
          memo: memo.isEmpty ? nil : String(memo.prefix(1000))))
    }
  }
}
