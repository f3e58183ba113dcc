import FeePayCore
import Foundation
import Hummingbird

/// The citizen's receipt page (`/receipts/<lookup code>`): the receipt laid out as Circular
/// 32/2025/TT-BTC's sample 6 ("Biên lai thu phí, lệ phí điện tử") — the collecting
/// organisation, the symbols and number, the payer, the fees, the amount in words, the payment
/// method, the date in Vietnam's time zone and the organisation's digital signature — with
/// whether that signature is valid, a QR code of its own verification URL, and print styles
/// for A4 and A5. Every figure comes from the signed content, never from the live tables.
enum ReceiptPage {
  static func render(_ receipt: Receipt, valid: Bool, reason: String?, language: PageLanguage) -> String {
    let english = language.english
    let c = receipt.content
    func s(_ value: JSONValue?) -> String { value?.stringValue ?? "" }
    func optional(_ value: JSONValue?) -> String? { value?.stringValue }
    let issuedAt = c["issued_at"]?.stringValue.flatMap(Timestamp.parse)
    let paidAt = c["payment"]?["paid_at"]?.stringValue.flatMap(Timestamp.parse)
    let agency = c["agency"]
    let bank = agency?["bank_bin"]?.stringValue.map { CitizenPages.banks[$0]?.shortName ?? $0 } ?? ""
    let verifyURL = s(c["verify_url"])
    let agencyName = s(agency?["name"])

    var context = language.layout
    context["title"] = "\(english ? "Receipt" : "Biên lai") \(s(c["series"])) \(s(c["number"]))"
    context["t"] = labels(english: english, issuedAt: issuedAt)
    context["issuer"] = CitizenPages.known([
      "name": agencyName, "taxCode": s(agency?["tax_code"]), "address": optional(agency?["address"]),
      "phone": optional(agency?["phone"]), "account": optional(agency?["account_number"]), "bank": bank,
    ])
    context["symbols"] = ["template": s(c["template_symbol"]), "series": s(c["series"]), "number": s(c["number"])]
    context["signature"] =
      valid
      ? [
        "tone": "ok",
        "text": english
          ? "✓ Valid digital signature: issued by \(agencyName)"
          : "✓ Chữ ký số hợp lệ: biên lai do \(agencyName) phát hành",
      ]
      : [
        "tone": "bad",
        "text": (english ? "✗ This receipt is not valid: " : "✗ Biên lai không hợp lệ: ") + (reason ?? ""),
      ]
    context["payer"] = CitizenPages.known([
      "name": s(c["payer"]?["name"]), "idNumber": optional(c["payer"]?["id_number"]),
      "address": optional(c["payer"]?["address"]), "account": optional(c["payer"]?["account"]),
    ])
    context["dossier"] = s(c["dossier_code"])
    context["procedure"] = s(c["procedure_code"])
    context["payment"] = CitizenPages.known([
      "method": s(c["payment"]?["method"]), "txn": optional(c["payment"]?["bank_txn_id"]),
      "paidAt": paidAt.map(CitizenFormat.vietnamTime),
    ])
    context["lines"] = (c["lines"]?.arrayValue ?? []).enumerated().map { index, line in
      [
        "index": String(index + 1), "description": s(line["description"]), "feeCode": s(line["fee_code"]),
        "quantity": String(line["quantity"]?.intValue ?? 0),
        "unit": CitizenFormat.money(line["unit_amount"]?.intValue ?? 0),
        "amount": CitizenFormat.money(line["amount"]?.intValue ?? 0),
      ]
    }
    context["total"] = CitizenFormat.money(c["total_amount"]?.intValue ?? 0)
    context["inWords"] = s(c["amount_in_words"])
    if let replacedBy = receipt.replacedBy { context["replacedBy"] = replacedBy }
    if let replaces = c["replaces"]?.stringValue { context["replaces"] = replaces }
    context["lookupCode"] = s(c["lookup_code"])
    context["issuedAt"] = issuedAt.map(CitizenFormat.vietnamTime) ?? ""
    context["verifyURL"] = verifyURL
    context["qrSVG"] =
      QRImage.svg(
        verifyURL, label: english ? "QR code of this receipt's verification address" : "Mã QR địa chỉ kiểm tra biên lai"
      )
      ?? ""
    return CitizenPages.render("receipt", context)
  }

  static func labels(english: Bool, issuedAt: Date?) -> [String: String] {
    let dateLine: String
    if let issuedAt {
      let date = BusinessDate(containing: issuedAt)
      let (d, m) = (String(format: "%02d", date.day), String(format: "%02d", date.month))
      dateLine = english ? "Issued on \(d)/\(m)/\(date.year)" : "Ngày \(d) tháng \(m) năm \(date.year)"
    } else {
      dateLine = ""
    }
    let pairs: [(String, String, String)] = [
      ("title", receiptTypeName, "FEE AND CHARGE RECEIPT"),
      ("taxCode", "Mã số thuế", "Tax code"),
      ("address", "Địa chỉ", "Address"),
      ("phone", "Điện thoại", "Telephone"),
      ("account", "Số tài khoản", "Account"),
      ("template", "Ký hiệu mẫu", "Template symbol"),
      ("series", "Ký hiệu", "Series"),
      ("number", "Số", "No."),
      ("payerName", "Họ tên người nộp", "Payer"),
      ("payerID", "Mã số thuế / Số định danh cá nhân", "Tax code / personal ID number"),
      ("payerAccount", "Số tài khoản người nộp", "Payer's account"),
      ("dossier", "Hồ sơ", "Dossier"),
      ("procedure", "Thủ tục", "Procedure"),
      ("method", "Hình thức thanh toán", "Payment method"),
      ("transaction", "Mã giao dịch", "Transaction"),
      ("paidAt", "Thời điểm thanh toán", "Paid at"),
      ("linesCaption", "Các khoản phí, lệ phí", "Fees and charges"),
      ("index", "STT", "#"),
      ("feeName", "Tên loại phí, lệ phí", "Fee or charge"),
      ("quantity", "Số lượng", "Qty"),
      ("unit", "Đơn giá", "Unit price"),
      ("lineAmount", "Thành tiền", "Amount"),
      ("total", "Tổng cộng", "Total"),
      ("inWords", "Số tiền bằng chữ", "In words"),
      ("replacedBy", "Đã được thay thế bởi biên lai", "Replaced by receipt"),
      ("replaces", "Thay thế biên lai", "Replaces receipt"),
      ("lookup", "Mã tra cứu", "Lookup code"),
      ("collector", "Đơn vị thu tiền", "Collecting organisation"),
      ("signedBy", "Ký bởi", "Signed by"),
      ("signedAt", "Ký ngày (giờ Việt Nam)", "Signed at (Vietnam time)"),
      ("verifyAt", "Kiểm tra tại", "Verify at"),
    ]
    var all = Dictionary(uniqueKeysWithValues: pairs.map { ($0.0, english ? $0.2 : $0.1) })
    all["dateLine"] = dateLine
    all["issuedOn"] = dateLine
    return all
  }

  static func notFound(_ language: PageLanguage) -> Response {
    let english = language.english
    return .message(
      language, heading: english ? "Not found" : "Không tìm thấy",
      message: english
        ? "✗ No receipt has this lookup code. A forged receipt does not exist here."
        : "✗ Không có biên lai với mã tra cứu này. Biên lai giả mạo không tồn tại trong hệ thống.",
      status: .notFound)
  }
}
