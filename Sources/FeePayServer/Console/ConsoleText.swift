import FeePayCore
import Foundation

/// Every sentence of the console, in Vietnamese and English: templates read them as `t.key`.
enum ConsoleText {
  static let vi: [String: String] = table(english: false)
  static let en: [String: String] = table(english: true)

  static func table(_ language: PageLanguage) -> [String: String] { language.english ? en : vi }

  static func password(_ refusal: PasswordPolicy.Refusal, _ t: [String: String]) -> String {
    switch refusal {
    case .tooShort(let n): t["pw_short"]!.replacingOccurrences(of: "{n}", with: String(n))
    case .tooLong(let n): t["pw_long"]!.replacingOccurrences(of: "{n}", with: String(n))
    case .common: t["pw_common"]!
    case .personal: t["pw_personal"]!
    case .pattern: t["pw_pattern"]!
    }
  }

  static func refusal(_ refusal: ResolveRefusal, _ t: [String: String]) -> String {
    switch refusal {
    case .notApplicable: t["refuse_not_applicable"]!
    case .invoiceRequired: t["refuse_invoice"]!
    case .amountDiffers(let held, let total):
      t["refuse_amount"]!.replacingOccurrences(of: "{held}", with: CitizenFormat.money(held))
        .replacingOccurrences(of: "{total}", with: CitizenFormat.money(total))
    case .agencyNotCollected(let connector, let agency):
      t["refuse_agency"]!.replacingOccurrences(of: "{connector}", with: connector)
        .replacingOccurrences(of: "{agency}", with: agency)
    case .samePerson: t["refuse_same_person"]!
    case .proposalPending: t["refuse_proposal_pending"]!
    case .noProposal: t["refuse_no_proposal"]!
    }
  }

  private static func table(english: Bool) -> [String: String] {
    var t: [String: String] = [:]
    for (key, vi, en) in entries { t[key] = english ? en : vi }
    return t
  }

  private static let entries: [(String, String, String)] = [
    ("console", "Bảng điều khiển", "Console"),
    ("skip", "Bỏ qua đến nội dung", "Skip to content"),
    ("nav_label", "Các mục", "Sections"),
    ("nav_today", "Hôm nay", "Today"),
    ("nav_statements", "Sao kê", "Statements"),
    ("nav_exceptions", "Ngoại lệ", "Exceptions"),
    ("nav_days", "Chốt ngày", "Business days"),
    ("nav_reports", "Báo cáo", "Reports"),
    ("nav_receipts", "Biên lai", "Receipts"),
    ("nav_ledger", "Sổ cái", "Ledger"),
    ("nav_audit", "Nhật ký", "Audit"),
    ("nav_admin", "Quản trị", "Administration"),
    ("sign_out", "Đăng xuất", "Sign out"),
    ("signed_in_as", "Đăng nhập với tư cách", "Signed in as"),
    ("role_accountant", "Kế toán", "Accountant"),
    ("role_auditor", "Kiểm toán", "Auditor"),
    ("role_admin", "Quản trị viên", "Administrator"),
    ("role_portal", "Cổng", "Portal"),
    ("all", "Tất cả", "All"),
    ("all_agencies", "Mọi cơ quan", "Every agency"),
    ("filter", "Lọc", "Filter"),
    ("next_page", "Trang sau", "Next page"),
    ("none", "Không có.", "None."),
    ("download_csv", "Tải CSV", "Download CSV"),
    ("error_title", "Không thực hiện được", "That did not work"),
    ("error_400", "Yêu cầu không hợp lệ", "Bad request"),
    ("error_403", "Không được phép", "Not allowed"),
    ("error_404", "Không tìm thấy", "Not found"),
    ("error_409", "Xung đột", "Conflict"),
    ("error_413", "Tệp quá lớn", "File too large"),
    ("error_415", "Định dạng không được hỗ trợ", "Unsupported format"),
    ("error_422", "Dữ liệu không hợp lệ", "Invalid input"),
    ("error_500", "Đã có lỗi phía FeePay", "Something went wrong on FeePay's side"),
    ("request_id", "Mã yêu cầu", "Request id"),
    ("back_today", "Về trang Hôm nay", "Back to Today"),
    // Signing in and enrolling
    ("sign_in_title", "Đăng nhập", "Sign in"),
    (
      "sign_in_lead", "Dành cho kế toán, kiểm toán và quản trị viên của FeePay.",
      "For FeePay's accountants, auditors and administrators."
    ),
    ("email", "Email", "Email"),
    ("password", "Mật khẩu", "Password"),
    ("password_again", "Nhập lại mật khẩu", "Password again"),
    ("code", "Mã xác thực (6 chữ số)", "Authenticator code (6 digits)"),
    (
      "code_hint", "Mã trong ứng dụng xác thực trên điện thoại của bạn; mỗi mã chỉ dùng được một lần.",
      "The code in the authenticator app on your phone; each code works once."
    ),
    ("sign_in_button", "Đăng nhập", "Sign in"),
    ("sign_in_wrong", "Email, mật khẩu hoặc mã xác thực không đúng.", "The email, password or code is wrong."),
    (
      "sign_in_locked",
      "Tài khoản bị khóa đến {until} sau 5 lần đăng nhập sai liên tiếp. Hãy thử lại sau, hoặc liên hệ quản trị viên.",
      "The account is locked until {until} after 5 failed sign-ins in a row. Try again later, or ask an administrator."
    ),
    ("signed_out", "Bạn đã đăng xuất.", "You have signed out."),
    (
      "enrolled", "Đã thiết lập xong. Hãy đăng nhập bằng mật khẩu và mã xác thực.",
      "You are set up. Sign in with your password and a code."
    ),
    ("enrol_title", "Thiết lập tài khoản", "Set up your account"),
    (
      "enrol_lead", "Đặt mật khẩu và liên kết ứng dụng xác thực. Cả hai đều cần cho mỗi lần đăng nhập.",
      "Choose a password and link an authenticator app. Both are needed at every sign-in."
    ),
    (
      "enrol_step_1", "1. Quét mã QR bằng ứng dụng xác thực (Google Authenticator, Microsoft Authenticator, …)",
      "1. Scan the QR code with an authenticator app (Google Authenticator, Microsoft Authenticator, …)"
    ),
    ("enrol_manual", "Hoặc nhập khóa này bằng tay:", "Or type this key by hand:"),
    ("enrol_step_2", "2. Chọn mật khẩu", "2. Choose a password"),
    ("enrol_step_3", "3. Nhập mã ứng dụng hiển thị", "3. Enter the code the app shows"),
    (
      "enrol_pw_hint", "Ít nhất {n} ký tự; không phải mật khẩu phổ biến, không chứa tên hoặc email của bạn.",
      "At least {n} characters; not a common password, and not containing your name or email."
    ),
    ("enrol_button", "Hoàn tất thiết lập", "Finish setting up"),
    ("enrol_qr_label", "Mã QR liên kết ứng dụng xác thực", "QR code that links an authenticator app"),
    ("enrol_gone", "Liên kết không còn hiệu lực", "This link no longer works"),
    (
      "enrol_gone_detail",
      "Liên kết thiết lập chỉ dùng được một lần và trong 24 giờ. Hãy đề nghị quản trị viên gửi liên kết mới (feepay staff reset).",
      "An enrolment link works once and for 24 hours. Ask an administrator for a new one (feepay staff reset)."
    ),
    ("enrol_mismatch", "Hai mật khẩu không khớp.", "The two passwords differ."),
    (
      "enrol_code_wrong", "Mã xác thực không đúng. Hãy kiểm tra giờ trên điện thoại và nhập mã mới.",
      "The code is wrong. Check your phone's clock and enter a fresh code."
    ),
    ("pw_short", "Mật khẩu cần ít nhất {n} ký tự.", "The password needs at least {n} characters."),
    ("pw_long", "Mật khẩu dài quá {n} byte.", "The password is longer than {n} bytes."),
    (
      "pw_common", "Mật khẩu này quá phổ biến; kẻ gian thử nó đầu tiên.",
      "This password is too common; attackers try it first."
    ),
    (
      "pw_personal", "Mật khẩu không được chứa tên hoặc email của bạn.",
      "The password must not contain your name or email."
    ),
    (
      "pw_pattern", "Mật khẩu không được là một ký tự lặp lại hay một dãy liên tiếp.",
      "The password must not be one character repeated or a run of characters."
    ),
    // Today
    ("today_collected", "Đã thu hôm nay", "Collected today"),
    ("today_by", "Theo kênh và cơ quan", "By connector and agency"),
    ("connector", "Kênh thanh toán", "Connector"),
    ("agency", "Cơ quan", "Agency"),
    ("payments", "Số giao dịch", "Payments"),
    ("amount", "Số tiền", "Amount"),
    ("today_missing", "Sao kê còn thiếu", "Statements still missing"),
    ("today_missing_none", "Đã nhận đủ sao kê của các ngày trước.", "Every earlier day's statements are in."),
    ("today_open", "Ngoại lệ đang mở", "Open exceptions"),
    ("kind", "Loại", "Kind"),
    ("under_day", "Dưới 1 ngày", "Under a day"),
    ("under_week", "1–7 ngày", "1–7 days"),
    ("older", "Quá 7 ngày", "Older"),
    ("today_open_none", "Không có ngoại lệ nào đang mở.", "No exception is open."),
    ("today_unclosed", "Ngày chưa chốt", "Days not yet closed"),
    ("today_unclosed_none", "Mọi ngày trước đã được chốt.", "Every earlier day is closed."),
    ("chart_title", "Thu và ngoại lệ 30 ngày qua", "Collections and exceptions over the last 30 days"),
    (
      "chart_desc", "Cột: số tiền thu mỗi ngày; chấm: số ngoại lệ. Số liệu đầy đủ ở bảng bên cạnh.",
      "Bars: amount collected per day; dots: exceptions. The figures are in the table beside it."
    ),
    ("day", "Ngày", "Day"),
    ("collected", "Đã thu", "Collected"),
    ("exceptions", "Ngoại lệ", "Exceptions"),
    ("live", "Tự cập nhật mỗi 30 giây", "Refreshes every 30 seconds"),
    // Exceptions
    ("exception_title", "Ngoại lệ", "Exception"),
    ("status", "Trạng thái", "Status"),
    ("status_open", "Đang mở", "Open"),
    ("status_resolved", "Đã xử lý", "Resolved"),
    ("kind_unknown_payment_code", "Mã thanh toán không tồn tại", "Unknown payment code"),
    ("kind_amount_mismatch", "Sai số tiền", "Amount mismatch"),
    ("kind_invoice_not_open", "Hóa đơn không còn mở", "Invoice not open"),
    ("kind_already_paid", "Đã thanh toán trước đó", "Already paid"),
    ("kind_connector_not_allowed", "Kênh không được phép", "Connector not allowed"),
    ("kind_missing_in_feepay", "Có ở ngân hàng, thiếu ở FeePay", "In the bank, missing in FeePay"),
    ("kind_missing_in_bank", "Có ở FeePay, thiếu ở ngân hàng", "In FeePay, missing in the bank"),
    ("kind_amount_mismatch_in_statement", "Sao kê sai số tiền", "Amount differs in the statement"),
    ("kind_recovery_pending_approval", "Khôi phục chờ duyệt", "Recovery awaiting approval"),
    (
      "explain_unknown_payment_code",
      "Ngân hàng báo tiền về với mã thanh toán FeePay không có. Tiền đang ở tài khoản treo.",
      "The bank reported money for a payment code FeePay does not know. The money is held in suspense."
    ),
    (
      "explain_amount_mismatch", "Số tiền chuyển khác tổng hóa đơn. Tiền đang ở tài khoản treo.",
      "The amount paid differs from the invoice's total. The money is held in suspense."
    ),
    (
      "explain_invoice_not_open", "Tiền về cho hóa đơn đã hết hạn hoặc đã hủy. Tiền đang ở tài khoản treo.",
      "Money came for an invoice that had expired or was cancelled. The money is held in suspense."
    ),
    (
      "explain_already_paid", "Hóa đơn được thanh toán hai lần. Khoản thứ hai đang ở tài khoản treo.",
      "The invoice was paid twice. The second payment is held in suspense."
    ),
    (
      "explain_connector_not_allowed", "Tiền về qua kênh không được dùng cho cơ quan này. Tiền đang ở tài khoản treo.",
      "Money came through a connector this agency does not use. The money is held in suspense."
    ),
    (
      "explain_missing_in_feepay", "Sao kê có khoản tiền mà FeePay chưa nhận được thông báo.",
      "The statement shows money FeePay was never told about."
    ),
    (
      "explain_recovery_pending_approval",
      "Dòng sao kê ghi đúng mã thanh toán và đúng số tiền của một hóa đơn đang mở, nhưng chỉ có tệp sao kê được tải lên làm chứng (ngân hàng không ký). Hóa đơn chỉ được ghi nhận đã nộp khi một người khác người tải lên phê duyệt.",
      "A statement line names an open invoice's payment code with exactly its amount, but only the uploaded file says so (no bank signed it). The invoice is paid only when someone other than the uploader approves."
    ),
    (
      "explain_missing_in_bank", "FeePay đã ghi nhận khoản thanh toán nhưng sao kê ngân hàng không có.",
      "FeePay recorded a payment the bank's statement does not show."
    ),
    (
      "explain_amount_mismatch_in_statement", "Sao kê ghi số tiền khác với khoản FeePay đã ghi nhận.",
      "The statement shows a different amount from the payment FeePay recorded."
    ),
    ("payment_code", "Mã thanh toán", "Payment code"),
    ("bank_txn", "Mã giao dịch ngân hàng", "Bank transaction"),
    ("invoice", "Hóa đơn", "Invoice"),
    ("business_day", "Ngày nghiệp vụ", "Business day"),
    ("raised_at", "Phát sinh lúc", "Raised at"),
    ("evidence", "Bằng chứng", "Evidence"),
    ("evidence_callback", "Thông báo của ngân hàng, nhận lúc", "The bank's callback, received at"),
    ("evidence_line", "Dòng sao kê", "Statement line"),
    ("evidence_none", "Không có bằng chứng đi kèm.", "No evidence is attached."),
    ("memo", "Nội dung", "Memo"),
    ("payer_account", "Tài khoản người nộp", "Payer's account"),
    ("resolve", "Xử lý", "Resolve"),
    ("resolve_action", "Cách xử lý", "Action"),
    ("action_apply_to_invoice", "Ghi vào hóa đơn đang mở", "Apply to an open invoice"),
    ("action_refund", "Hoàn tiền cho người nộp", "Refund the payer"),
    ("action_write_off", "Ghi nhận chênh lệch vào chi phí", "Write off the difference"),
    ("action_accept_bank_record", "Chấp nhận số liệu ngân hàng", "Accept the bank's record"),
    ("note", "Ghi chú (bắt buộc)", "Note (required)"),
    ("note_shown", "Ghi chú", "Note"),
    ("resolve_button", "Xác nhận xử lý", "Resolve"),
    (
      "four_eyes_hint",
      "Hoàn tiền, xóa sổ hay ghi vào hóa đơn trên ngưỡng cần người thứ hai phê duyệt: thao tác này chỉ tạo đề xuất.",
      "Refunds, write-offs and payments of invoices above the threshold need a second person: this only proposes them."
    ),
    (
      "resolve_confirm", "Xác nhận xử lý ngoại lệ này? Bút toán sẽ được ghi sổ và không thể sửa.",
      "Resolve this exception? The journals are posted and cannot be changed."
    ),
    ("resolve_pick", "Hãy chọn cách xử lý.", "Choose an action."),
    ("resolve_note", "Hãy ghi chú lý do (tối đa 2000 ký tự).", "Write a note saying why (at most 2000 characters)."),
    ("resolved_by", "Đã xử lý bởi", "Resolved by"),
    (
      "search_invoice", "Tìm hóa đơn đang mở theo mã thanh toán, mã hồ sơ hoặc số tiền",
      "Find an open invoice by payment code, dossier or amount"
    ),
    ("search_label", "Mã thanh toán, mã hồ sơ hoặc số tiền", "Payment code, dossier or amount"),
    ("search_button", "Tìm", "Search"),
    ("search_none", "Không tìm thấy hóa đơn đang mở nào.", "No open invoice matches."),
    ("dossier", "Hồ sơ", "Dossier"),
    ("payer", "Người nộp", "Payer"),
    ("total", "Tổng", "Total"),
    ("choose", "Chọn", "Choose"),
    ("same_amount", "đúng số tiền", "same amount"),
    (
      "refuse_not_applicable", "Cách xử lý này không áp dụng cho loại ngoại lệ này.",
      "That action does not apply to this kind of exception."
    ),
    ("refuse_invoice", "Hãy chọn hóa đơn đang mở để ghi tiền vào.", "Choose the open invoice to apply the money to."),
    (
      "refuse_amount", "Số tiền đang giữ ({held}) khác tổng hóa đơn ({total}).",
      "The amount held ({held}) differs from the invoice's total ({total})."
    ),
    (
      "refuse_agency", "Kênh {connector} không thu hộ cho cơ quan {agency}: tiền này không thể thanh toán hóa đơn đó.",
      "Connector {connector} does not collect for agency {agency}: this money cannot pay that invoice."
    ),
    ("resolved_notice", "Đã xử lý ngoại lệ.", "The exception is resolved."),
    (
      "proposed_notice", "Đã gửi đề xuất. Một người thứ hai phải phê duyệt thì bút toán mới được ghi sổ.",
      "Proposed. Nothing is posted until a second person approves it."
    ),
    ("withdrawn_notice", "Đã rút đề xuất; ngoại lệ vẫn mở.", "The proposal is withdrawn; the exception stays open."),
    ("proposal", "Đề xuất chờ phê duyệt", "Proposal awaiting approval"),
    ("proposed_by", "Đề xuất bởi", "Proposed by"),
    ("approved_by", "Phê duyệt bởi", "Approved by"),
    (
      "proposal_own",
      "Bạn là người đề xuất (hoặc người tải sao kê lên): một người khác phải phê duyệt.",
      "You proposed this (or uploaded the statement that did): someone else must approve it."
    ),
    ("approve_button", "Phê duyệt", "Approve"),
    (
      "approve_confirm", "Phê duyệt đề xuất này? Bút toán sẽ được ghi sổ và không thể sửa.",
      "Approve this proposal? The journals are posted and cannot be changed."
    ),
    ("withdraw_button", "Rút đề xuất", "Withdraw the proposal"),
    ("withdraw_note", "Lý do rút đề xuất (không bắt buộc)", "Why it is withdrawn (optional)"),
    (
      "refuse_same_person", "Người đề xuất không thể tự phê duyệt: cần một người thứ hai.",
      "The person who proposed this cannot approve it: a second person must."
    ),
    (
      "refuse_proposal_pending", "Đã có một đề xuất chờ phê duyệt; hãy phê duyệt hoặc rút nó trước.",
      "A proposal already waits for approval; approve or withdraw it first."
    ),
    (
      "refuse_no_proposal", "Không có đề xuất nào để phê duyệt hay rút.", "There is no proposal to approve or withdraw."
    ),
    // Business days
    ("day_title", "Ngày nghiệp vụ", "Business day"),
    ("day_closed", "Đã chốt", "Closed"),
    ("day_ready", "Sẵn sàng chốt", "Ready to close"),
    ("day_open", "Chưa đủ điều kiện", "Not ready"),
    ("checklist", "Điều kiện chốt ngày", "Before closing"),
    (
      "check_statements", "Đã nhận sao kê của mọi kênh có giao dịch",
      "Every connector that took money sent its statement"
    ),
    ("check_exceptions", "Không còn ngoại lệ đang mở", "No exception is still open"),
    ("missing_from", "Còn thiếu:", "Missing:"),
    ("open_count", "Đang mở:", "Open:"),
    ("see_exceptions", "Xem các ngoại lệ", "See the exceptions"),
    ("close_button", "Chốt ngày", "Close the day"),
    (
      "close_confirm", "Chốt ngày này? Sau khi chốt không thể ghi thêm gì vào ngày này.",
      "Close this day? Nothing can be recorded on it afterwards."
    ),
    ("force_title", "Chốt bắt buộc", "Force-close"),
    (
      "force_lead", "Khi chưa đủ điều kiện, có thể chốt bắt buộc với ghi chú lý do; việc này được ghi vào nhật ký.",
      "When the checklist is not green, the day can be force-closed with a note; this is audited."
    ),
    ("force_button", "Chốt bắt buộc", "Force-close"),
    ("force_confirm", "Chốt bắt buộc khi còn việc chưa xong?", "Force-close with work still open?"),
    ("close_note", "Chốt bắt buộc cần ghi chú lý do.", "A force-close needs a note."),
    ("closed_at", "Chốt lúc", "Closed at"),
    ("closed_by", "Người chốt", "Closed by"),
    ("forced", "bắt buộc", "forced"),
    ("remittance", "Bảng kê nộp ngân sách", "Remittance report"),
    ("fee_code", "Mã phí", "Fee code"),
    // Statements
    ("statement_title", "Sao kê", "Statement"),
    ("upload_title", "Tải sao kê lên", "Upload a statement"),
    ("upload_file", "Tệp sao kê (CSV hoặc camt.053/054 XML)", "Statement file (CSV or camt.053/054 XML)"),
    ("upload_button", "Tải lên và đối chiếu", "Upload and reconcile"),
    ("upload_stage_upload", "Đang tải lên", "Uploading"),
    ("upload_stage_parse", "Đang đọc tệp", "Reading the file"),
    ("upload_stage_match", "Đang đối chiếu", "Matching"),
    ("upload_lines", "dòng đã đọc, đang đối chiếu", "lines read, matching"),
    ("upload_stage_done", "Xong", "Done"),
    ("upload_progress", "Tiến độ tải lên", "Upload progress"),
    ("upload_no_connector", "Hãy chọn kênh thanh toán.", "Choose the connector."),
    ("upload_no_day", "Hãy nhập ngày nghiệp vụ (YYYY-MM-DD).", "Enter the business day (YYYY-MM-DD)."),
    ("upload_no_file", "Hãy chọn tệp sao kê.", "Choose the statement file."),
    (
      "upload_format", "Chỉ nhận tệp .csv hoặc .xml (camt.053/054).", "Only .csv or .xml (camt.053/054) files are read."
    ),
    ("upload_malformed", "Không đọc được biểu mẫu tải lên.", "The upload form could not be read."),
    ("upload_too_large", "Tệp quá lớn.", "The file is too large."),
    ("upload_refused", "Tệp bị từ chối:", "The file was refused:"),
    ("format", "Định dạng", "Format"),
    ("lines", "Số dòng", "Lines"),
    ("imported_at", "Nhập lúc", "Imported at"),
    ("imported_by", "Người nhập", "Imported by"),
    ("summary", "Tổng hợp theo loại", "Summary by category"),
    ("category", "Loại", "Category"),
    ("items", "Các dòng", "Lines"),
    ("line", "Dòng", "Line"),
    ("category_matched", "Khớp", "Matched"),
    ("category_amount_mismatch", "Sai số tiền", "Amount mismatch"),
    ("category_recovered", "Khôi phục", "Recovered"),
    ("category_missing_in_feepay", "Thiếu ở FeePay", "Missing in FeePay"),
    ("category_missing_in_bank", "Thiếu ở ngân hàng", "Missing in the bank"),
    ("category_duplicate_in_bank", "Trùng ở ngân hàng", "Duplicate in the bank"),
    ("category_debit", "Ghi nợ", "Debit"),
    ("category_reversal", "Đảo giao dịch", "Reversal"),
    ("category_other_currency", "Ngoại tệ khác", "Other currency"),
    ("category_recovery_pending_approval", "Khôi phục chờ duyệt", "Recovery awaiting approval"),
    ("all_lines", "Mọi dòng", "All lines"),
    ("report_csv", "Tải báo cáo đối chiếu (CSV)", "Download the reconciliation report (CSV)"),
    // Reports
    ("report", "Báo cáo", "Report"),
    ("report_remittance", "Nộp ngân sách theo ngày", "Remittance by day"),
    ("report_usage", "Tình hình sử dụng biên lai (BC26/BLĐT)", "Receipt usage (BC26/BLĐT)"),
    ("report_collections", "Số thu theo cơ quan, thủ tục và mã phí", "Collections by agency, procedure and fee code"),
    ("report_show", "Xem báo cáo", "Show the report"),
    ("show", "Xem", "Show"),
    (
      "report_period_bad",
      "Khoảng thời gian không hợp lệ: nhập ngày dạng YYYY-MM-DD, ngày bắt đầu không sau ngày kết thúc, tối đa 366 ngày.",
      "The period is not valid: write dates as YYYY-MM-DD, the start no later than the end, at most 366 days."
    ),
    ("report_period", "Kỳ báo cáo", "Period"),
    ("report_open_day", "chưa chốt", "not closed"),
    (
      "report_open_note", "Số liệu của ngày chưa chốt còn có thể thay đổi.",
      "The figures of a day not yet closed may still change."
    ),
    (
      "report_collections_note",
      "Hóa đơn được tính vào ngày thanh toán, kể cả khi sau đó được hoàn tiền.",
      "Invoices count on the day they were paid, even if refunded later."
    ),
    ("procedure", "Thủ tục", "Procedure"),
    ("invoices", "Số hóa đơn", "Invoices"),
    ("template", "Ký hiệu mẫu", "Template"),
    ("series", "Ký hiệu", "Series"),
    ("first_number", "Từ số", "From number"),
    ("last_number", "Đến số", "To number"),
    ("issued", "Đã lập", "Issued"),
    ("replaced", "Bị thay thế", "Replaced"),
    ("cancelled", "Hủy", "Cancelled"),
    ("grand_total", "Tổng cộng", "Total"),
    // Receipts
    ("receipts_search", "Tìm biên lai", "Find a receipt"),
    (
      "receipts_search_label", "Số biên lai, mã tra cứu, mã hồ sơ hoặc tên người nộp",
      "Receipt number, lookup code, dossier or payer's name"
    ),
    (
      "receipts_search_hint", "Tên người nộp: các chữ đầu, không phân biệt hoa thường.",
      "Payer's name: its first letters, in any case."
    ),
    ("receipt_title", "Biên lai", "Receipt"),
    ("receipt_number", "Số", "Number"),
    ("issued_at", "Lập lúc", "Issued at"),
    ("receipt_issued", "Đang hiệu lực", "In force"),
    ("receipt_replaced", "Đã bị thay thế", "Replaced"),
    ("lookup_code", "Mã tra cứu", "Lookup code"),
    ("verification", "Kiểm tra chữ ký số", "Signature check"),
    (
      "verify_ok", "✓ Chữ ký số hợp lệ và biên lai đang hiệu lực.",
      "✓ The digital signature is valid and the receipt is in force."
    ),
    ("verify_bad", "✗ Biên lai không hợp lệ:", "✗ The receipt is not valid:"),
    ("public_page", "Trang biên lai công dân xem", "The page the citizen sees"),
    ("replaces", "Thay thế biên lai", "Replaces receipt"),
    ("replaced_by", "Đã được thay thế bởi biên lai", "Replaced by receipt"),
    ("fee_lines", "Các khoản phí, lệ phí", "Fees and charges"),
    ("quantity", "Số lượng", "Quantity"),
    ("replace_title", "Thay thế biên lai sai", "Replace a wrong receipt"),
    (
      "replace_lead",
      "Biên lai thay thế mang số mới; biên lai này được giữ lại, đánh dấu đã bị thay thế, và việc thay thế được ghi nhật ký.",
      "The replacement gets a new number; this receipt is kept and marked replaced, and the replacement is audited."
    ),
    ("payer_name", "Họ tên người nộp", "Payer's name"),
    ("payer_id", "Số định danh hoặc mã số thuế (không bắt buộc)", "ID number or tax code (optional)"),
    ("reason", "Lý do thay thế (bắt buộc)", "Reason for the replacement (required)"),
    ("replace_button", "Lập biên lai thay thế", "Issue the replacement"),
    (
      "replace_confirm", "Lập biên lai thay thế? Biên lai này sẽ hết hiệu lực.",
      "Issue the replacement? This receipt stops being valid."
    ),
    ("replaced_notice", "Đã lập biên lai thay thế.", "The replacement is issued."),
    ("replace_bad_reason", "Hãy ghi lý do (1–500 ký tự).", "Write the reason (1–500 characters)."),
    ("replace_bad_payerName", "Hãy nhập họ tên người nộp (1–200 ký tự).", "Enter the payer's name (1–200 characters)."),
    (
      "replace_bad_payerIDNumber", "Số định danh chỉ gồm 1–20 chữ cái hoặc chữ số.",
      "The ID number is 1–20 letters or digits."
    ),
    // Ledger
    ("ledger_as_of", "Số dư tại thời điểm", "Balances as of"),
    ("as_of_label", "Thời điểm (giờ Việt Nam)", "Moment (Vietnam time)"),
    ("as_of_bad", "Hãy nhập thời điểm dạng YYYY-MM-DDTHH:MM.", "Enter the moment as YYYY-MM-DDTHH:MM."),
    ("ledger_account", "Tài khoản", "Account"),
    ("account_kind", "Loại", "Kind"),
    ("kind_asset", "Tài sản", "Asset"),
    ("kind_liability", "Nợ phải trả", "Liability"),
    ("kind_expense", "Chi phí", "Expense"),
    ("kind_income", "Thu nhập", "Income"),
    ("debit", "Nợ", "Debit"),
    ("credit", "Có", "Credit"),
    ("balance", "Số dư", "Balance"),
    ("ledger_balanced", "✓ Tổng phát sinh Nợ bằng tổng phát sinh Có.", "✓ Total debits equal total credits."),
    ("ledger_unbalanced", "✗ Tổng phát sinh Nợ khác tổng phát sinh Có.", "✗ Total debits differ from total credits."),
    ("entries_title", "Bút toán của tài khoản", "Entries of the account"),
    ("entries_all", "Mọi tài khoản", "Every account"),
    ("journal", "Bút toán", "Journal"),
    ("reference", "Tham chiếu", "Reference"),
    ("entries_link", "Xem bút toán", "See the entries"),
    // Audit and administration
    ("actor", "Người thực hiện", "Actor"),
    ("action", "Hành động", "Action"),
    ("subject", "Đối tượng", "Subject"),
    ("details", "Chi tiết", "Details"),
    ("time", "Thời gian", "Time"),
    ("from", "Từ ngày", "From"),
    ("to", "Đến ngày", "To"),
    ("actor_hint", "Ví dụ staff:an@… hoặc key:", "For example staff:an@… or key:"),
    ("action_hint", "Ví dụ exception. hoặc staff.sign_in", "For example exception. or staff.sign_in"),
    (
      "admin_lead",
      "Xoay vòng khóa API, bí mật kết nối ngân hàng và khóa ký biên lai chỉ thực hiện bằng dòng lệnh (feepay key, feepay connector rotate, feepay signing-key rotate), để mỗi thao tác có người vận hành ký nhận.",
      "Rotating API keys, bank connector secrets and the receipt signing key is done on the command line only (feepay key, feepay connector rotate, feepay signing-key rotate), so that each is done by an operator on the server."
    ),
    ("agencies", "Cơ quan thu", "Agencies"),
    ("code_col", "Mã", "Code"),
    ("name", "Tên", "Name"),
    ("account", "Tài khoản", "Account"),
    ("receipt_series", "Mẫu / ký hiệu biên lai", "Receipt template / series"),
    ("connectors", "Kênh thanh toán", "Connectors"),
    ("connector_kind", "Loại", "Kind"),
    ("staff", "Nhân sự", "Staff"),
    ("role", "Vai trò", "Role"),
    ("staff_enrolling", "Chờ thiết lập", "Enrolling"),
    ("staff_active", "Đang hoạt động", "Active"),
    ("staff_disabled", "Đã vô hiệu hóa", "Disabled"),
    (
      "staff_hint", "Thêm, vô hiệu hóa hoặc đặt lại nhân sự bằng feepay staff add|disable|reset.",
      "Add, disable or reset people with feepay staff add|disable|reset."
    ),
    ("keys", "Khóa API", "API keys"),
    ("prefix", "Tiền tố", "Prefix"),
    ("portal", "Cổng", "Portal"),
    ("label", "Nhãn", "Label"),
    ("revoked", "Thu hồi lúc", "Revoked at"),
  ]
}
