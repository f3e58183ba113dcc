import FeePayCore
import FeePayStore
import Foundation
import Hummingbird

/// The citizen's payment page (`payment_url`): what is owed, to whom, and a VietQR code that
/// any Vietnamese banking app pays in one scan, with the transfer details written out for
/// those who type them.
struct PaymentPage: Sendable {
  let invoices: InvoiceStore
  let provisioning: ProvisioningStore
  let clock: any WallClock

  func add(to router: Router<AppRequestContext>) {
    router.get("/pay/:code") { request, context in
      let english = request.uri.queryParameters.get("lang") == "en"
      guard let code = PaymentCode(parsing: try context.parameters.require("code")),
        let invoice = try await invoices.find(paymentCode: code),
        let agency = try await provisioning.agency(code: invoice.agencyCode)
      else {
        return Response.html(ReceiptPage.notFound(english: english), status: .notFound)
      }
      return Response.html(Self.render(invoice, agency: agency, now: clock.now, english: english))
    }
  }

  static func render(_ invoice: Invoice, agency: Agency, now: Date, english: Bool) -> String {
    let t = ReceiptPage.Labels(english: english)
    let e = ReceiptPage.escape
    let status = invoice.status(at: now)
    let statusText: String
    switch status {
    case .open: statusText = t("Chờ thanh toán", "Awaiting payment")
    case .paid: statusText = t("Đã thanh toán", "Paid")
    case .expired: statusText = t("Đã hết hạn", "Expired")
    case .cancelled: statusText = t("Đã huỷ", "Cancelled")
    case .refunded: statusText = t("Đã hoàn tiền", "Refunded")
    }
    let qr = status == .open ? (QRCode.svg(invoice.vietQR, moduleSize: 5) ?? "") : ""
    let lines = invoice.lines.map {
      "<tr><td>\(e($0.description))</td><td class=n>\($0.quantity)</td><td class=n>\(ReceiptPage.money($0.amount))</td></tr>"
    }.joined()
    return """
      <!doctype html>
      <html lang="\(english ? "en" : "vi")"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width,initial-scale=1">
      <title>\(t("Thanh toán phí, lệ phí", "Pay a fee")) \(e(invoice.paymentCode))</title><style>\(ReceiptPage.style)</style></head>
      <body>
      <p class="noprint"><a href="?lang=\(english ? "vi" : "en")">\(english ? "Tiếng Việt" : "English")</a></p>
      <h1>\(t("Thanh toán phí, lệ phí", "Pay a fee"))</h1>
      <p class=meta>\(e(agency.name)) · \(t("Hồ sơ", "Dossier")) \(e(invoice.dossierCode))</p>
      <p class="\(status == .open ? "ok" : "bad")">\(statusText)</p>
      <div class=grid><div>
      <dl>
      <dt>\(t("Số tiền", "Amount"))</dt><dd><strong>\(ReceiptPage.money(invoice.totalAmount)) \(e(invoice.currency.rawValue))</strong></dd>
      <dt>\(t("Nội dung chuyển khoản", "Transfer memo"))</dt><dd><strong>\(e(invoice.paymentCode))</strong></dd>
      <dt>\(t("Ngân hàng (BIN)", "Bank (BIN)"))</dt><dd>\(e(agency.bankBIN))</dd>
      <dt>\(t("Số tài khoản", "Account"))</dt><dd>\(e(agency.accountNumber))</dd>
      <dt>\(t("Chủ tài khoản", "Account name"))</dt><dd>\(e(agency.accountName))</dd>
      <dt>\(t("Người nộp", "Payer"))</dt><dd>\(e(invoice.payer.name))</dd>
      <dt>\(t("Hạn thanh toán", "Pay before"))</dt><dd>\(Timestamp.format(invoice.expiresAt))</dd>
      </dl></div><div class=qr>\(qr)</div></div>
      <table><thead><tr><th>\(t("Nội dung", "Description"))</th><th>\(t("Số lượng", "Qty"))</th><th>\(t("Thành tiền", "Amount"))</th></tr></thead>
      <tbody>\(lines)</tbody></table>
      <p><small>\(t("Quét mã VietQR bằng ứng dụng ngân hàng, hoặc chuyển khoản với đúng nội dung trên. Biên lai điện tử được gửi ngay khi thanh toán xong.", "Scan the VietQR code with any banking app, or transfer with exactly the memo above. The e-receipt is issued as soon as the payment arrives."))</small></p>
      </body></html>
      """
  }
}
