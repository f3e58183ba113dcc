import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The citizen's payment page (`payment_url`, `/pay/<token>`): what is owed, to whom, and a
/// VietQR code any Vietnamese banking app pays in one scan, with every fact a citizen can
/// check against a fake page written out. Beside it: the QR as a PNG file, the status as JSON
/// (the page's script polls it), and a redirect to VNPay when the agency has a VNPay connector.
struct PaymentPage: Sendable {
  let invoices: InvoiceStore
  let provisioning: ProvisioningStore
  let connectors: ConnectorStore
  let receipts: ReceiptStore
  let clock: any WallClock
  let publicBaseURL: String
  let vnpayGateway: String
  let limiter: PageRateLimit
  let clients: ClientAddress

  func add(to router: Router<AppRequestContext>) {
    let pages = router.group("pay").add(middleware: PageRateLimitMiddleware(limiter: limiter, clients: clients))
    pages.get(":ref") { request, context in
      let language = PageLanguage(request)
      guard let found = try await lookup(try context.parameters.require("ref")) else {
        return Self.notFound(language)
      }
      let receiptURL = try await receiptURL(found.invoice)
      let vnpay = try await connectors.vnpayConnectorCode(for: found.invoice.agencyCode) != nil
      return Response.page(
        Self.render(
          found.invoice, agency: found.agency, reference: found.reference, now: clock.now, language: language,
          receiptURL: receiptURL, vnpay: vnpay))
    }
    pages.get(":ref/status") { request, context in
      let language = PageLanguage(request)
      // The script polls this every few seconds: the invoice alone, no agency.
      guard let found = try await invoice(try context.parameters.require("ref")) else {
        throw FeePayError.notFound("payment link")
      }
      let status = found.invoice.status(at: clock.now)
      let answer = Self.statusAnswer(status, receiptURL: try await receiptURL(found.invoice), language: language)
      var response = Response.json(Array(answer.jsonText.utf8))
      response.headers[.cacheControl] = "no-store"
      return response
    }
    pages.get(":ref/qr.png") { request, context in
      guard let found = try await invoice(try context.parameters.require("ref")),
        found.invoice.status(at: clock.now) == .open, let code = try? QRCode(bytes: Array(found.invoice.vietQR.utf8))
      else { return Self.notFound(PageLanguage(request)) }
      var headers = HTTPFields()
      headers[.contentType] = "image/png"
      headers[.contentDisposition] = "attachment; filename=\"VietQR-\(found.invoice.paymentCode).png\""
      headers[.cacheControl] = "no-store"
      return Response(
        status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: QRImage.png(code))))
    }
    pages.get(":ref/vnpay") { request, context in
      let language = PageLanguage(request)
      let now = clock.now
      guard let found = try await lookup(try context.parameters.require("ref")) else { return Self.notFound(language) }
      guard found.invoice.status(at: now) == .open, let connector = try await vnpayConnector(for: found.invoice),
        let tmn = connector.tmnCode, let secret = connector.secrets.first
      else {
        return Response(status: .seeOther, headers: [.location: "/pay/\(found.reference)"])
      }
      let checkout = VNPay.checkout(
        invoice: found.invoice, gateway: vnpayGateway, tmnCode: tmn, secret: secret,
        returnURL: "\(publicBaseURL)/pay/\(found.reference)",
        ipAddress: clients.of(request, context), now: now)
      return Response(status: .seeOther, headers: [.location: checkout.url, .cacheControl: "no-store"])
    }
  }

  /// The invoice a link names: by its token, or, for an invoice made before links had tokens,
  /// by its payment code while the invoice is open.
  func invoice(_ reference: String) async throws -> (invoice: Invoice, reference: String)? {
    let invoice: Invoice?
    if PayToken.isWellFormed(reference) {
      invoice = try await invoices.find(payToken: reference)
    } else if let code = PaymentCode(parsing: reference),
      let legacy = try await invoices.find(paymentCode: code), legacy.payToken == nil,
      legacy.status(at: clock.now) == .open
    {
      invoice = legacy
    } else {
      invoice = nil
    }
    guard let invoice else { return nil }
    return (invoice, invoice.payToken ?? invoice.paymentCode)
  }

  /// The invoice a link names and its agency, for the page itself.
  func lookup(_ reference: String) async throws -> (invoice: Invoice, agency: Agency, reference: String)? {
    guard let found = try await invoice(reference),
      let agency = try await provisioning.agency(code: found.invoice.agencyCode)
    else { return nil }
    return (found.invoice, agency, found.reference)
  }

  func receiptURL(_ invoice: Invoice) async throws -> String? {
    guard let id = invoice.receiptID, let receipt = try await receipts.receipt(id: id, portal: nil),
      let lookup = receipt.content["lookup_code"]?.stringValue
    else { return nil }
    return "/receipts/\(lookup)"
  }

  func vnpayConnector(for invoice: Invoice) async throws -> Connector? {
    guard let code = try await connectors.vnpayConnectorCode(for: invoice.agencyCode) else { return nil }
    return try await connectors.connector(code, now: clock.now, cached: true)
  }

  static func notFound(_ language: PageLanguage) -> Response {
    let t = { (vi: String, en: String) in language.english ? en : vi }
    return .message(
      language, heading: t("Không tìm thấy", "Not found"),
      message: t(
        "Liên kết thanh toán này không tồn tại hoặc đã hết hiệu lực. Hãy mở lại liên kết từ cổng dịch vụ công.",
        "This payment link does not exist or is no longer valid. Open the link again from the public-service portal."),
      status: .notFound)
  }

  // MARK: - Rendering

  static func statusText(_ status: InvoiceStatus, english: Bool) -> (label: String, tone: String) {
    switch status {
    case .open: (english ? "Awaiting payment" : "Chờ thanh toán", "wait")
    case .paid: (english ? "Paid" : "Đã thanh toán", "ok")
    case .expired: (english ? "Expired: this invoice can no longer be paid" : "Đã hết hạn: không thể thanh toán", "bad")
    case .cancelled: (english ? "Cancelled" : "Đã huỷ", "bad")
    case .refunded: (english ? "Refunded" : "Đã hoàn tiền", "bad")
    }
  }

  static func statusAnswer(_ status: InvoiceStatus, receiptURL: String?, language: PageLanguage) -> JSONValue {
    let (label, tone) = statusText(status, english: language.english)
    let labels = Labels(english: language.english).all
    return [
      "status": .string(status.rawValue), "label": .string(label), "tone": .string(tone),
      "receipt_url": receiptURL.map(JSONValue.string) ?? .null,
      "receipt_label": .string(labels["viewReceipt"] ?? ""),
      "receipt_pending": .string(labels["receiptPending"] ?? ""),
    ]
  }

  static func render(
    _ invoice: Invoice, agency: Agency, reference: String, now: Date, language: PageLanguage, receiptURL: String?,
    vnpay: Bool
  ) -> String {
    let english = language.english
    let t = Labels(english: english)
    let status = invoice.status(at: now)
    let (label, tone) = statusText(status, english: english)
    let bank = CitizenPages.banks[agency.bankBIN]
    let open = status == .open
    var context = language.layout
    context["title"] = open ? "\(t.heading) · \(invoice.paymentCode)" : t.heading
    context["t"] = t.all
    context["status"] = ["code": status.rawValue, "label": label, "tone": tone]
    context["urls"] = CitizenPages.known([
      "page": "/pay/\(reference)", "status": "/pay/\(reference)/status", "qrPNG": "/pay/\(reference)/qr.png",
      "vnpay": vnpay && open ? "/pay/\(reference)/vnpay" : nil,
    ])
    context["agency"] = [
      "name": agency.name, "taxCode": agency.taxCode, "account": agency.accountNumber,
      "accountName": agency.accountName,
    ]
    context["invoice"] = [
      "dossier": invoice.dossierCode, "paymentCode": invoice.paymentCode,
      "amount": CitizenFormat.money(invoice.totalAmount), "amountDigits": String(invoice.totalAmount),
      "payer": CitizenFormat.maskedName(invoice.payer.name), "expires": CitizenFormat.vietnamTime(invoice.expiresAt),
      "expiresISO": Timestamp.format(invoice.expiresAt),
    ]
    if let receiptURL { context["receiptURL"] = receiptURL }
    context["issuing"] = status == .paid && receiptURL == nil
    if open {
      // Only an open invoice shows what to pay; a closed one shows its status (and receipt).
      context["open"] = true
      context["bank"] = CitizenPages.known(["short": bank?.shortName ?? agency.bankBIN, "name": bank?.name])
      context["qrSVG"] =
        QRImage.svg(
          invoice.vietQR, moduleSize: 6,
          label: english
            ? "VietQR code: \(CitizenFormat.money(invoice.totalAmount)) to account \(agency.accountNumber), memo \(invoice.paymentCode)"
            : "Mã VietQR: \(CitizenFormat.money(invoice.totalAmount)) vào tài khoản \(agency.accountNumber), nội dung \(invoice.paymentCode)"
        ) ?? ""
      context["qrFileName"] = "VietQR-\(invoice.paymentCode).png"
      context["lines"] = invoice.lines.map {
        ["description": $0.description, "quantity": String($0.quantity), "amount": CitizenFormat.money($0.amount)]
      }
    }
    return CitizenPages.render("pay", context)
  }

  /// The page's words in Vietnamese and English.
  struct Labels {
    let english: Bool
    var heading: String { english ? "Pay a fee" : "Thanh toán phí, lệ phí" }

    var all: [String: String] {
      let pairs: [(String, String, String)] = [
        ("heading", "Thanh toán phí, lệ phí", "Pay a fee"),
        ("dossier", "Hồ sơ", "Dossier"),
        ("scanHeading", "Quét mã để thanh toán", "Scan to pay"),
        ("scanHint", "Mở ứng dụng ngân hàng bất kỳ, chọn Quét QR.", "Open any banking app and choose Scan QR."),
        ("downloadQR", "Tải mã QR (ảnh PNG)", "Download the QR code (PNG)"),
        ("payVNPay", "Thanh toán qua VNPay", "Pay with VNPay"),
        ("transferHeading", "Hoặc chuyển khoản đúng thông tin sau", "Or transfer with exactly these details"),
        ("amount", "Số tiền", "Amount"),
        ("memo", "Nội dung chuyển khoản", "Transfer memo"),
        ("bank", "Ngân hàng", "Bank"),
        ("account", "Số tài khoản", "Account number"),
        ("accountName", "Chủ tài khoản", "Account holder"),
        ("agency", "Đơn vị thu", "Collecting agency"),
        ("taxCode", "Mã số thuế", "Tax code"),
        ("payer", "Người nộp", "Payer"),
        ("payBefore", "Hạn thanh toán", "Pay before"),
        ("vietnamTime", "giờ Việt Nam", "Vietnam time"),
        ("copy", "Sao chép", "Copy"),
        ("copied", "Đã sao chép", "Copied"),
        ("linesCaption", "Các khoản phí, lệ phí", "Fees and charges"),
        ("description", "Nội dung", "Description"),
        ("quantity", "Số lượng", "Qty"),
        ("lineAmount", "Thành tiền", "Amount"),
        ("total", "Tổng cộng", "Total"),
        (
          "transferHint",
          "Chuyển khoản đúng số tiền và đúng nội dung ở trên. Biên lai điện tử được phát hành ngay khi nhận được tiền.",
          "Transfer exactly the amount and the memo above. The e-receipt is issued as soon as the money arrives."
        ),
        ("refresh", "Tải lại trang để xem trạng thái mới nhất", "Reload the page for the latest status"),
        ("viewReceipt", "Xem biên lai điện tử", "View the e-receipt"),
        (
          "receiptPending", "Biên lai điện tử đang được phát hành và sẽ hiện ở đây trong giây lát.",
          "The e-receipt is being issued; it appears here in a moment."
        ),
        ("safetyHeading", "Cảnh giác với trang giả mạo", "Beware of fake pages"),
        (
          "safety",
          "Trang thanh toán thật không bao giờ hỏi mật khẩu, mã OTP hay yêu cầu cài ứng dụng. Chỉ chuyển tiền khi tên đơn vị thu, mã số thuế, chủ tài khoản, số tiền và nội dung khớp với hồ sơ của bạn.",
          "A genuine payment page never asks for a password or an OTP, or to install an app. Transfer only when the agency, its tax code, the account holder, the amount and the memo match your dossier."
        ),
      ]
      return Dictionary(uniqueKeysWithValues: pairs.map { ($0.0, english ? $0.2 : $0.1) })
    }
  }
}

extension HTTPField.Name {
  static let contentDisposition = Self("Content-Disposition")!
}
