import FeePayCore
import FeePayStore
import Foundation

/// The CSV files an accountant downloads, written once for the API and the console: text
/// fields quoted where needed and defused against spreadsheet formulas (``csvField(_:)``).
enum ReportCSV {
  /// Every line of a statement with its category, read in pages of 5,000.
  static func statement(_ id: String, from settlements: SettlementStore) async throws -> String {
    var csv = "line_no,bank_txn_id,payment_code,amount,currency,category,payment_id,invoice_id,exception_id\r\n"
    var after = 0
    while true {
      let rows = try await settlements.items(settlement: id, category: nil, afterLine: after, limit: 5000)
      for r in rows {
        csv +=
          [
            String(r.lineNo), r.bankTxnID, r.paymentCode ?? "", String(r.amount), r.currency, r.category,
            r.paymentID ?? "", r.invoiceID ?? "", r.exceptionID ?? "",
          ].map(csvField).joined(separator: ",") + "\r\n"
      }
      guard let last = rows.last, rows.count == 5000 else { break }
      after = last.lineNo
    }
    return csv
  }

  /// A day's remittance per agency and fee code, with its total (which must not overflow).
  static func remittance(_ day: BusinessDate, _ rows: [SettlementStore.RemittanceRow]) throws -> String {
    var csv = "business_date,agency_code,fee_code,amount\r\n"
    for r in rows { csv += "\(day),\(csvField(r.agencyCode)),\(csvField(r.feeCode)),\(r.amount)\r\n" }
    csv += "\(day),TOTAL,,\(try MoneyMath.sum(rows.map(\.amount)))\r\n"
    return csv
  }
}

/// A CSV field: quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-`,
/// `@`, tab or carriage return is prefixed with `'` so that a spreadsheet never runs it.
func csvField(_ text: String) -> String {
  var text = text
  if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
  guard text.contains(where: { ",\"\n\r".contains($0) }) else { return text }
  return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
