import FeePayCore
import FeePayStore
import Foundation
import NIOHTTP1
import Testing

/// The citizen pages in headless Chromium (Debian `chromium` and `chromium-driver`, Selenium
/// and axe-core from PyPI), against a real `feepay serve`: `Tests/Browser/citizen_pages.py`
/// says what it checks. Screenshots land in `.build/screenshots/` for a person to look at.
/// With `FEEPAY_REQUIRE_REFERENCE_CLIENTS=1` (CI) the test runs, and fails if a tool is
/// missing, instead of being skipped.
@Suite(.serialized, .timeLimit(.minutes(5))) struct BrowserTests {
  static var available: Bool {
    if ReferenceClientTests.required { return true }
    guard
      ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/zbarimg"].allSatisfy({
        FileManager.default.isExecutableFile(atPath: $0)
      })
    else { return false }
    let (status, _) = (try? runProgram(["python3", "-c", "import selenium, axe_selenium_python"])) ?? (1, "")
    return status == 0
  }

  static var screenshots: URL { TestEnvironment.packageRoot.appendingPathComponent(".build/screenshots") }

  static func path(of url: String?) throws -> String {
    let url = try #require(url)
    let start = try #require(url.range(of: "/pay/"))
    return String(url[start.lowerBound...])
  }

  @Test(.enabled(if: available)) func citizenPagesWorkInChromiumOnPhonesAndDesktops() async throws {
    try await withServedFeePay { world, served, _ in
      let bank = try await TestBank.hmac(world)
      let open = try await served.createInvoice(world.invoiceBody(), key: world.portalKey).json
      // A paid invoice with its receipt issued by the running service.
      let paid = try await served.createInvoice(world.invoiceBody(), key: world.portalKey).json
      let paidID = try #require(paid["id"]?.stringValue)
      let paidCode = try #require(paid["payment_code"]?.stringValue)
      #expect(try await served.pay(bank, code: paidCode, amount: 16000).json["status"] == "accepted")
      var receipt: JSONValue = .null
      for _ in 0..<40 where receipt == .null {
        try await Task.sleep(for: .milliseconds(500))
        let r = try await served.send(.GET, "/v1/invoices/\(paidID)/receipt", key: world.portalKey)
        if r.code == 200 { receipt = r.json }
      }
      let lookup = try #require(receipt["lookup_code"]?.stringValue, "the running service issued no receipt")
      // An invoice the browser watches while the bank pays it.
      let live = try await served.createInvoice(world.invoiceBody(), key: world.portalKey).json
      let liveCode = try #require(live["payment_code"]?.stringValue)
      let body = TestBank.body(paymentCode: liveCode, amount: 16000, txn: UUID().uuidString, paidAt: Date())
      let plan: JSONValue = [
        "base_url": .string(served.baseURL),
        "screenshots": .string(Self.screenshots.path),
        "open_page": .string(try Self.path(of: open["payment_url"]?.stringValue)),
        "open_vietqr": open["vietqr"] ?? .null,
        "open_facts": [
          "16.000\u{00A0}₫", .string(open["payment_code"]?.stringValue ?? "?"), "Vietcombank", "0071000123456",
          "SO TU PHAP TPHCM", "0301234567", "Nguyễn V. A.",
        ],
        "paid_page": .string(try Self.path(of: paid["payment_url"]?.stringValue)),
        "receipt_page": .string("/receipts/\(lookup)"),
        "receipt_facts": [
          "BIÊN LAI THU PHÍ, LỆ PHÍ", "EBL01",
          .string(String(format: "%02dT", BusinessDate(containing: Date()).year % 100)),
          "0000001", "141 Pasteur", "028 3829 0230", "Mười sáu nghìn đồng", "Chữ ký số hợp lệ", "Ký bởi",
        ],
        "live_page": .string(try Self.path(of: live["payment_url"]?.stringValue)),
        "live_callback": [
          "path": .string("/v1/callbacks/\(bank.code)"), "body": .string(String(decoding: body, as: UTF8.self)),
          "headers": .object(bank.headers(for: body, timestamp: Date()).mapValues(JSONValue.string)),
        ],
      ]
      let script = TestEnvironment.packageRoot.appendingPathComponent("Tests/Browser/citizen_pages.py")
      let (status, output) = try runProgram(
        ["sh", "-c", "python3 \"$0\" 2>&1", script.path], stdin: Array(plan.jsonText.utf8))
      #expect(status == 0, "\(output)")
    }
  }
}
