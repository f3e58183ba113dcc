import FeePayCore
import Foundation

/// The citizen's receipt page: the receipt in Vietnamese (English with `?lang=en`), whether
/// its signature is valid, a QR code of its own verification URL, and print styles for A4
/// and A5.
enum ReceiptPage {
  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
      .replacingOccurrences(of: "'", with: "&#39;")
  }

  static func money(_ n: Int64) -> String {
    let digits = Array(String(n.magnitude))
    var out = ""
    for (i, d) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(".") }
      out.append(d)
    }
    return (n < 0 ? "-" : "") + out
  }

  struct Labels {
    let english: Bool
    func callAsFunction(_ vi: String, _ en: String) -> String { english ? en : vi }
  }

  static let style = """
    body{font-family:system-ui,"Segoe UI",Arial,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111}
    h1{font-size:1.3rem;text-align:center;margin:.2rem 0}.meta{text-align:center;color:#333}
    table{width:100%;border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #999;padding:.35rem;text-align:left}
    td.n{text-align:right}.ok{color:#065f24;font-weight:600}.bad{color:#9b1c1c;font-weight:600}
    .grid{display:grid;grid-template-columns:1fr auto;gap:1rem;align-items:start}.qr svg{width:8rem;height:8rem}
    dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem}dt{color:#444}
    @media print{@page{size:A4;margin:15mm}body{margin:0;max-width:none}.noprint{display:none}}
    @media print and (max-width:150mm){@page{size:A5;margin:8mm}body{font-size:10pt}}
    """

  static func render(_ receipt: Receipt, valid: Bool, reason: String?, english: Bool) -> String {
    let t = Labels(english: english)
    let c = receipt.content
    func s(_ value: JSONValue?) -> String { escape(value?.stringValue ?? "") }
    let verifyURL = c["verify_url"]?.stringValue ?? ""
    let qr = QRCode.svg(verifyURL) ?? ""
    let lines = (c["lines"]?.arrayValue ?? []).enumerated().map { index, line in
      "<tr><td>\(index + 1)</td><td>\(s(line["description"])) (\(s(line["fee_code"])))</td><td class=n>\(line["quantity"]?.intValue ?? 0)</td><td class=n>\(money(line["unit_amount"]?.intValue ?? 0))</td><td class=n>\(money(line["amount"]?.intValue ?? 0))</td></tr>"
    }.joined()
    let status =
      valid
      ? "<p class=ok>✓ \(t("Chữ ký số hợp lệ: biên lai do", "Valid digital signature: issued by")) \(s(c["agency"]?["name"])) \(t("phát hành", ""))</p>"
      : "<p class=bad>✗ \(t("Biên lai không hợp lệ", "This receipt is not valid")): \(escape(reason ?? ""))</p>"
    return """
      <!doctype html>
      <html lang="\(english ? "en" : "vi")"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width,initial-scale=1">
      <title>\(t("Biên lai", "Receipt")) \(s(c["series"])) \(s(c["number"]))</title><style>\(style)</style></head>
      <body>
      <p class="noprint"><a href="?lang=\(english ? "vi" : "en")">\(english ? "Tiếng Việt" : "English")</a></p>
      <div class=grid><div>
      <h1>\(english ? "FEE AND CHARGE RECEIPT" : escape(receiptTypeName))</h1>
      <p class=meta>\(t("Mẫu số", "Template")) \(s(c["template_symbol"])) · \(t("Ký hiệu", "Series")) \(s(c["series"])) · \(t("Số", "No.")) \(s(c["number"]))</p>
      <p class=meta>\(t("Ngày phát hành", "Issued")) \(s(c["issued_at"]))</p>
      </div><div class=qr>\(qr)</div></div>
      \(status)
      <dl>
      <dt>\(t("Đơn vị thu", "Issuer"))</dt><dd>\(s(c["agency"]?["name"])) — \(t("MST", "Tax code")) \(s(c["agency"]?["tax_code"]))</dd>
      <dt>\(t("Người nộp", "Payer"))</dt><dd>\(s(c["payer"]?["name"]))\(c["payer"]?["id_number"]?.stringValue.map { " — \(t("Số giấy tờ", "ID")) \(escape($0))" } ?? "")</dd>
      <dt>\(t("Hồ sơ", "Dossier"))</dt><dd>\(s(c["dossier_code"])) · \(t("Thủ tục", "Procedure")) \(s(c["procedure_code"]))</dd>
      <dt>\(t("Hình thức thanh toán", "Payment"))</dt><dd>\(s(c["payment"]?["method"])) · \(t("Mã giao dịch", "Transaction")) \(s(c["payment"]?["bank_txn_id"]))</dd>
      <dt>\(t("Mã tra cứu", "Lookup code"))</dt><dd>\(s(c["lookup_code"]))</dd>
      </dl>
      <table><thead><tr><th>#</th><th>\(t("Nội dung", "Description"))</th><th>\(t("Số lượng", "Qty"))</th><th>\(t("Đơn giá", "Unit"))</th><th>\(t("Thành tiền", "Amount"))</th></tr></thead>
      <tbody>\(lines)</tbody>
      <tfoot><tr><th colspan=4>\(t("Tổng cộng", "Total")) (\(s(c["currency"])))</th><th class=n>\(money(c["total_amount"]?.intValue ?? 0))</th></tr></tfoot></table>
      <p>\(t("Số tiền bằng chữ", "In words")): <em>\(s(c["amount_in_words"]))</em></p>
      \(receipt.replacedBy.map { "<p class=bad>\(t("Đã được thay thế bởi biên lai", "Replaced by receipt")) \(escape($0))</p>" } ?? "")
      \(c["replaces"]?.stringValue.map { "<p>\(t("Thay thế biên lai", "Replaces receipt")) \(escape($0))</p>" } ?? "")
      <p class=noprint><small>\(t("Kiểm tra tại", "Verify at")) \(escape(verifyURL))</small></p>
      </body></html>
      """
  }

  static func notFound(english: Bool) -> String {
    let t = Labels(english: english)
    return """
      <!doctype html><html lang="\(english ? "en" : "vi")"><head><meta charset="utf-8"><title>\(t("Không tìm thấy", "Not found"))</title>
      <style>\(style)</style></head><body><p class=bad>✗ \(t("Không có biên lai với mã tra cứu này. Biên lai giả mạo không tồn tại trong hệ thống.", "No receipt has this lookup code. A forged receipt does not exist here."))</p></body></html>
      """
  }
}
