import FeePayCore
import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

@Suite(.timeLimit(.minutes(5))) struct CSVReaderTests {
  func records(_ text: String, chunk: Int = 3) throws -> [CSVReader.Record] {
    var reader = CSVReader()
    var out: [CSVReader.Record] = []
    let bytes = Array(text.utf8)
    var i = 0
    while i < bytes.count {
      try reader.feed(bytes[i..<min(bytes.count, i + chunk)]) { out.append($0) }
      i += chunk
    }
    try reader.finish { out.append($0) }
    return out
  }

  @Test func quotesLineBreaksAndChunksAnywhere() throws {
    let got = try records("a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\n2,\"two\nlines\",\n3,,last")
    #expect(got.map(\.line) == [1, 2, 3, 5])
    #expect(got[1].fields == ["1", "x,y", "say \"hi\""])
    #expect(got[2].fields == ["2", "two\nlines", ""])
    #expect(got[3].fields == ["3", "", "last"])
  }

  @Test func malformedQuotingNamesTheLine() {
    #expect(throws: CSVReader.Failure.self) { try records("a,b\n1,x\"y\n") }
    #expect(throws: CSVReader.Failure.self) { try records("a,b\n1,\"open\n2,3\n") }
    #expect(throws: CSVReader.Failure.self) { try records("a,b\n1,\"q\"x\n") }
    let error = #expect(throws: CSVReader.Failure.self) { try records("a\nok\nbad\"quote\n") }
    #expect(error?.line == 3)
  }
}

@Suite(.timeLimit(.minutes(5))) struct CSVStatementTests {
  @Test func feepayCSV() throws {
    var s = CSVStatement(mapping: .feepay)
    try s.header(
      .init(line: 1, fields: ["bank_txn_id", "payment_code", "amount", "currency", "paid_at", "payer_account", "memo"]))
    let line = try s.line(
      .init(line: 2, fields: ["VCB.1", "fpk7m3q9x2z", "16000", "VND", "2026-11-29T10:15:00+07:00", "", "nop le phi"]))
    #expect(line.amount == 16000)
    #expect(line.isCredit)
    #expect(line.bankTxnID == "VCB.1")
    #expect(line.copyRow(settlementID: "stl_x").contains("\tFPK7M3Q9X2Z\t"))
    #expect(throws: StatementError.self) {
      try s.line(.init(line: 7, fields: ["VCB.2", "", "16.5", "VND", "2026-11-29T10:15:00+07:00", "", ""]))
    }
    #expect(throws: StatementError.self) { try s.line(.init(line: 8, fields: ["VCB.2", "", "10"])) }
    #expect(throws: StatementError.self) {
      try s.line(.init(line: 9, fields: ["VCB.3", "", "10", "VND", "yesterday", "", ""]))
    }
    var other = CSVStatement(mapping: .feepay)
    #expect(throws: StatementError.self) { try other.header(.init(line: 1, fields: ["id", "amount"])) }
  }

  @Test func mappedBankCSV() throws {
    let mapping = CSVMapping(
      bankTxnID: "So GD", amount: "So tien", paidAt: "Ngay GD", memo: "Noi dung", dateFormat: "dd/MM/yyyy HH:mm:ss",
      amountScale: 1000, delimiter: ";")
    #expect(mapping.problem == nil)
    var s = CSVStatement(mapping: mapping)
    try s.header(.init(line: 1, fields: ["Ngay GD", "So GD", "So tien", "Noi dung"]))
    let line = try s.line(.init(line: 2, fields: ["29/11/2026 10:15:00", "FT123", "16", "FPK7M3Q9X2Z nop le phi"]))
    #expect(line.amount == 16000)
    #expect(line.bookedAt == Timestamp.parse("2026-11-29T03:15:00Z"))
    #expect(line.copyRow(settlementID: "s").contains("FPK7M3Q9X2Z"))
    #expect(StatementAmount.parse("8.85", currency: "EUR") == 885)
    #expect(StatementAmount.parse("16000.00", currency: "VND") == 16000)
    #expect(StatementAmount.parse("16000.50", currency: "VND") == nil)
    #expect(StatementAmount.parse("1e3", currency: "VND") == nil)
    #expect(StatementAmount.parse(" 16000 ", currency: "VND") == 16000)
    #expect(StatementAmount.parse("\u{00A0}16000\t", currency: "VND") == 16000)
    #expect(StatementAmount.parse("16000.", currency: "VND") == 16000)
    #expect(StatementAmount.parse("8.8", currency: "EUR") == 880)
    #expect(StatementAmount.parse("8.850", currency: "EUR") == 885)
    #expect(StatementAmount.parse("8.851", currency: "EUR") == nil)
    for bad in ["", ".5", "1.2.3", "-5", "+5", "1 000", "１６０００", "99999999999999999"] {
      #expect(StatementAmount.parse(bad, currency: "VND") == nil, "\(bad)")
    }
    #expect(StatementAmount.parse("9999999999999999", currency: "VND", scale: 1000) == nil, "overflow")
  }

  @Test func copyRowsEscapeWhatCOPYTextFormatReserves() {
    let line = StatementLine(
      lineNo: 7, bankTxnID: "FT\\1", paymentCode: nil, amount: 16000, currency: "VND", isCredit: false,
      isReversal: true, bookedAt: Timestamp.parse("2026-11-29T03:15:00Z"), payerAccount: nil,
      memo: "a\tb\nc\rd FPK7M3Q9X2Z Nguyễn")
    #expect(
      line.copyRow(settlementID: "stl_1")
        == "stl_1\t7\tFT\\\\1\tFPK7M3Q9X2Z\t16000\tVND\tdebit\tt\t2026-11-29T03:15:00Z\t\\N\ta\\tb\\nc\\rd FPK7M3Q9X2Z Nguyễn\n"
    )
  }

  @Test func trimmingSpacesMatchesFoundationWithoutItsCost() {
    for text in ["FT123", " FT123", "FT123\t", "\u{00A0}FT 123\u{3000}", "", "   ", "Nguyễn ", "\nFT\n"] {
      #expect(text.trimmingSpaces == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
    }
    #expect("Nguyễn".nfc == "Nguye\u{0302}\u{0303}n".nfc)
    #expect("plain ascii".nfc == "plain ascii")
  }
}

@Suite(.timeLimit(.minutes(5))) struct CamtTests {
  static func url(_ name: String) -> URL {
    Bundle.module.url(forResource: name, withExtension: "xml", subdirectory: "Fixtures/camt")!
  }

  func parse(_ name: String) throws -> [StatementLine] {
    var lines: [StatementLine] = []
    try CamtStatement(emit: { lines.append($0) }).parse(InputStream(url: Self.url(name))!)
    return lines
  }

  @Test(arguments: [
    ("camt053.v2.minimal", 1), ("camt053.v2.multi.statement", 2), ("camt053.v4", 1), ("camt053.v8", 1),
    ("camt054.v2", 1), ("camt054.v8", 1),
  ])
  func sampleStatementsParse(_ name: String, _ count: Int) throws {
    let lines = try parse(name)
    #expect(lines.count >= count)
    for line in lines {
      #expect(!line.bankTxnID.isEmpty)
      #expect(line.amount > 0)
      #expect(line.currency.count == 3)
      #expect(line.currency != "VND", "the samples are European statements: listed, never matched")
    }
  }

  @Test func theV8SampleReadsItsReferenceAndAmount() throws {
    let line = try #require(try parse("camt053.v8").first)
    #expect(line.bankTxnID == "AAAASESS-FP-CN_98765/01")
    #expect(line.amount == 885)
    #expect(line.currency == "EUR")
    #expect(line.isCredit)
    #expect(line.paymentCode == "4654654654654654")
  }

  @Test func theMalformedSampleIsRefusedWithItsPath() {
    let error = #expect(throws: StatementError.self) { try parse("camt053.v2.wrong") }
    #expect(error?.location == "/Document/BkToCstmrStmt")
  }

  /// No DTD is read: a document type declaration is refused before parsing, in any of its
  /// forms (internal entities that expand, external ones that read files), and the samples'
  /// own prologs (declaration, comments) pass.
  @Test func aDocumentTypeDeclarationIsRefused() throws {
    let root = "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt/></Document>"
    let hostile = [
      "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
        + root,
      "<!DOCTYPE Document SYSTEM \"file:///etc/passwd\">" + root,
      "\u{FEFF}<?xml version=\"1.0\"?>\n<!-- a comment -->\n<!doctype Document>" + root,
      "<!ENTITY x \"y\">" + root,
    ]
    for xml in hostile {
      let error = #expect(throws: StatementError.self) { try CamtStatement.checkProlog(Array(xml.utf8)) }
      #expect(error?.reason.contains("declaration") == true, "\(xml)")
    }
    #expect(throws: StatementError.self) { try CamtStatement.checkProlog(Array("hello <Document/>".utf8)) }
    try CamtStatement.checkProlog(Array(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- x -->\n" + root).utf8))
    for name in ["camt053.v2.minimal", "camt053.v8", "camt054.v2"] {
      try CamtStatement.checkProlog(try Data(contentsOf: Self.url(name)))
    }
  }

  @Test func brokenAndForeignDocumentsAreRefused() {
    func parse(_ xml: String) throws {
      try CamtStatement(emit: { _ in }).parse(InputStream(data: Data(xml.utf8)))
    }
    #expect(throws: StatementError.self) {
      try parse("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>")
    }
    #expect(throws: StatementError.self) {
      try parse("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"></Document>")
    }
    #expect(throws: StatementError.self) { try parse("<html></html>") }
    #expect(throws: StatementError.self) {
      try parse(
        """
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Ntry>
        <Amt Ccy="VND">abc</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><AcctSvcrRef>X</AcctSvcrRef>
        </Ntry></Stmt></BkToCstmrStmt></Document>
        """)
    }
  }
}
