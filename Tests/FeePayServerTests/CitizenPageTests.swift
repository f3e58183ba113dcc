import FeePayCore
import FeePayServer
import FeePayStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

/// The citizen's payment page over HTTP: what it shows (and hides), its token link, the QR
/// file, the live status, languages, the VNPay redirect and the rate limit.
@Suite(.timeLimit(.minutes(5))) struct CitizenPageTests {
  /// The path of an invoice's `payment_url` (`/pay/<token>`).
  static func path(_ invoice: JSONValue) throws -> String {
    let url = try #require(invoice["payment_url"]?.stringValue)
    let start = try #require(url.range(of: "/pay/"))
    return String(url[start.lowerBound...])
  }

  static func html(_ response: TestResponse) -> String { String(decoding: response.bytes, as: UTF8.self) }

  @Test(.enabled(if: ReceiptTests.canDecodeQR)) func theOpenPageShowsWhatACitizenChecksAndAQRThatDecodes() async throws
  {
    try await withFeePay { world, client in
      let created = try await client.createInvoice(world.invoiceBody(), key: world.portalKey).json
      let code = try #require(created["payment_code"]?.stringValue)
      let page = try await client.send(.get, try Self.path(created))
      #expect(page.status == .ok)
      let csp = try #require(page.headers[.contentSecurityPolicy])
      #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"))
      #expect(page.headers[.cacheControl] == "no-store")
      let html = Self.html(page)
      #expect(html.contains("<html lang=\"vi\">"))
      #expect(html.contains(code))
      #expect(html.contains("16.000\u{00A0}₫"))
      #expect(html.contains("Vietcombank"))
      #expect(html.contains("Ngân hàng TMCP Ngoại Thương Việt Nam"))
      #expect(!html.contains(">970436<"))
      #expect(html.contains("0071000123456"))
      #expect(html.contains("SO TU PHAP TPHCM"))
      #expect(html.contains("0301234567"))
      #expect(html.contains("Chờ thanh toán"))
      // The payer's name is masked; the page never shows their id number, e-mail or phone.
      #expect(html.contains("Nguyễn V. A."))
      #expect(!html.contains("Nguyễn Văn An") && !html.contains("079123456789") && !html.contains("an@example.vn"))
      #expect(html.contains("không bao giờ hỏi mật khẩu, mã OTP"))
      // Vietnam's time, as Vietnamese readers write it.
      let expires = try #require(created["expires_at"]?.stringValue.flatMap(Timestamp.parse))
      #expect(html.contains(CitizenFormat.vietnamTime(expires)))
      // No inline script or style: the CSP would refuse them.
      #expect(!html.contains("<script>") && !html.contains("style=") && !html.contains("<style"))
      #expect(html.contains("<script src=\"/assets/pay.js\" defer></script>"))
      let script = try await client.send(.get, "/assets/pay.js")
      #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")

      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pay-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: dir) }
      // The QR on the page…
      let start = try #require(html.range(of: "<svg"))
      let end = try #require(html.range(of: "</svg>"))
      try String(html[start.lowerBound..<end.upperBound]).write(
        to: dir.appendingPathComponent("qr.svg"), atomically: true, encoding: .utf8)
      let (converted, _) = try runProgram([
        "rsvg-convert", "--width", "500", "-o", dir.appendingPathComponent("page.png").path,
        dir.appendingPathComponent("qr.svg").path,
      ])
      #expect(converted == 0)
      let (status, decoded) = try runProgram([
        "zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", dir.appendingPathComponent("page.png").path,
      ])
      #expect(status == 0)
      #expect(decoded.trimmingCharacters(in: .whitespacesAndNewlines) == created["vietqr"]?.stringValue)
      // …and the file to download decode to the invoice's VietQR payload.
      let png = try await client.send(.get, try Self.path(created) + "/qr.png")
      #expect(png.status == .ok)
      #expect(png.headers[.contentType] == "image/png")
      #expect(png.headers[HTTPField.Name("Content-Disposition")!] == "attachment; filename=\"VietQR-\(code).png\"")
      try Data(png.bytes).write(to: dir.appendingPathComponent("download.png"))
      let (fileStatus, fromFile) = try runProgram([
        "zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", dir.appendingPathComponent("download.png").path,
      ])
      #expect(fileStatus == 0)
      #expect(fromFile.trimmingCharacters(in: .whitespacesAndNewlines) == created["vietqr"]?.stringValue)
    }
  }

  @Test func theLinkIsATokenAndThePaymentCodeDoesNotOpenIt() async throws {
    try await withFeePay { world, client in
      let created = try await client.createInvoice(world.invoiceBody(), key: world.portalKey).json
      let code = try #require(created["payment_code"]?.stringValue)
      let path = try Self.path(created)
      #expect(PayToken.isWellFormed(String(path.dropFirst("/pay/".count))))
      #expect(try await client.send(.get, "/pay/\(code)").status == .notFound)
      #expect(try await client.send(.get, "/pay/\(code)/status").status == .notFound)
      #expect(try await client.send(.get, "/pay/\(code)/qr.png").status == .notFound)
      // A token of the right shape that names nothing, and garbage.
      #expect(try await client.send(.get, "/pay/AAAAAAAAAAAAAAAAAAAAAA").status == .notFound)
      #expect(try await client.send(.get, "/pay/not-a-code").status == .notFound)
      let missing = try await client.send(.get, "/pay/%3Cscript%3E")
      #expect(missing.status == .notFound)
      #expect(!Self.html(missing).contains("<script>"))
    }
  }

  @Test func anInvoiceMadeBeforeTokensKeepsItsCodeLinkWhileOpen() async throws {
    try await withFeePay { world, client in
      let created = try await client.createInvoice(world.invoiceBody(), key: world.portalKey).json
      let id = try #require(created["id"]?.stringValue)
      let code = try #require(created["payment_code"]?.stringValue)
      // As migration 0008 leaves older invoices: no token.
      try await world.database.query("UPDATE invoices SET pay_token = NULL WHERE id = \(id)")
      let fetched = try await client.send(.get, "/v1/invoices/\(id)", key: world.portalKey).json
      #expect(fetched["payment_url"]?.stringValue?.hasSuffix("/pay/\(code)") == true)
      #expect(try await client.send(.get, "/pay/\(code)").status == .ok)
      #expect(try await client.send(.get, "/pay/\(code.lowercased())").status == .ok)
      _ = try await client.send(.post, "/v1/invoices/\(id)/cancel", key: world.portalKey)
      #expect(try await client.send(.get, "/pay/\(code)").status == .notFound)
    }
  }

  @Test func thePageTurnsPaidAndLinksTheReceipt() async throws {
    try await withFeePay(isolated: true) { world, client in
      let bank = try await TestBank.hmac(world)
      let body = world.invoiceBody {
        $0["payer"] = ["name": "Trần Thị Bình", "id_number": "001190012345", "address": "12 Lý Thường Kiệt, Hà Nội"]
      }
      let created = try await client.createInvoice(body, key: world.portalKey).json
      #expect(created["payer"]?["address"] == "12 Lý Thường Kiệt, Hà Nội")
      let path = try Self.path(created)
      let open = try await client.send(.get, path + "/status").json
      #expect(open["status"] == "open")
      #expect(open["label"] == "Chờ thanh toán")
      #expect(open["receipt_url"] == .null)

      let code = try #require(created["payment_code"]?.stringValue)
      // The bank says which account the payer paid from: the receipt prints it (sample 6).
      let callback = Array(
        JSONValue.object([
          "type": "payment.succeeded", "timestamp": .string(Timestamp.format(world.clock.now)),
          "data": [
            "amount": 16000, "currency": "VND", "bank_txn_id": .string(UUID().uuidString),
            "paid_at": .string(Timestamp.format(world.clock.now)), "payment_code": .string(code),
            "payer_account": "0011004455667",
          ],
        ]).jsonText.utf8)
      let paidBy = try await client.send(
        .post, "/v1/callbacks/\(bank.code)", raw: callback, headers: bank.headers(for: callback))
      #expect(paidBy.json["status"] == "accepted")
      let paid = try await client.send(.get, path + "/status").json
      #expect(paid["status"] == "paid")
      #expect(paid["label"] == "Đã thanh toán")
      #expect(paid["receipt_url"] == .null)  // not issued yet
      let waiting = Self.html(try await client.send(.get, path))
      #expect(waiting.contains("Đã thanh toán") && waiting.contains("receipt-pending"))

      _ = try await world.receipts.issueBatch(now: world.clock.now)
      let issued = try await client.send(.get, path + "/status?lang=en").json
      #expect(issued["label"] == "Paid")
      let receiptURL = try #require(issued["receipt_url"]?.stringValue)
      #expect(receiptURL.hasPrefix("/receipts/"))
      let receiptPage = try await client.send(.get, receiptURL)
      #expect(receiptPage.status == .ok)
      // The payer's address and identification number are on the receipt (sample 6), not on the payment page.
      #expect(Self.html(receiptPage).contains("12 Lý Thường Kiệt, Hà Nội"))
      #expect(Self.html(receiptPage).contains("001190012345"))
      #expect(Self.html(receiptPage).contains("Số tài khoản người nộp"))
      #expect(Self.html(receiptPage).contains("0011004455667"))
      // Once paid, only the status and the receipt link: no account, amount to pay or QR.
      let page = Self.html(try await client.send(.get, path))
      #expect(page.contains("Đã thanh toán"))
      #expect(page.contains("href=\"\(receiptURL)\""))
      #expect(!page.contains("<svg") && !page.contains("0071000123456") && !page.contains(code))
      #expect(try await client.send(.get, path + "/qr.png").status == .notFound)
    }
  }

  @Test func englishByParameterOrByAcceptLanguage() async throws {
    try await withFeePay { world, client in
      let created = try await client.createInvoice(world.invoiceBody(), key: world.portalKey).json
      let path = try Self.path(created)
      #expect(Self.html(try await client.send(.get, path + "?lang=en")).contains("Awaiting payment"))
      let preferred = try await client.send(
        .get, path, headers: ["Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"])
      #expect(Self.html(preferred).contains("<html lang=\"en\">"))
      let vietnamese = try await client.send(
        .get, path, headers: ["Accept-Language": "vi-VN,vi;q=0.9,en;q=0.8"])
      #expect(Self.html(vietnamese).contains("<html lang=\"vi\">"))
      let parameterWins = try await client.send(
        .get, path + "?lang=vi", headers: ["Accept-Language": "en"])
      #expect(Self.html(parameterWins).contains("Chờ thanh toán"))
      let other = try await client.send(.get, path, headers: ["Accept-Language": "fr, de;q=0.5"])
      #expect(Self.html(other).contains("<html lang=\"vi\">"))
    }
  }

  @Test func textFromPortalsIsEscaped() async throws {
    try await withFeePay { world, client in
      let body = world.invoiceBody {
        $0["lines"] = [
          [
            "fee_code": "X-1", "description": "<img src=x onerror=alert(1)> & \"phí\"", "quantity": 1,
            "unit_amount": 5000,
          ]
        ]
      }
      let created = try await client.createInvoice(body, key: world.portalKey).json
      let html = Self.html(try await client.send(.get, try Self.path(created)))
      #expect(!html.contains("<img"))
      #expect(html.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;phí&quot;"))
    }
  }

  @Test func vnpayIsOfferedOnlyWhenTheAgencyHasAConnector() async throws {
    try await withFeePay(isolated: true) { world, client in
      let created = try await client.createInvoice(world.invoiceBody(), key: world.portalKey).json
      let path = try Self.path(created)
      let without = Self.html(try await client.send(.get, path))
      #expect(!without.contains("/vnpay") && !without.contains("VNPay"))
      let back = try await client.send(.get, path + "/vnpay")
      #expect(back.status == .seeOther)
      #expect(back.headers[.location] == path)

      try await ConnectorStore(database: world.database, secrets: world.secrets).add(
        .init(
          code: "vnp-page", kind: .vnpay, secret: "VNPAYSECRETVNPAYSECRETVNPAYSECRE", publicKey: nil,
          tmnCode: "FEEPAY01",
          agencies: [world.agency]), actor: "test", at: world.clock.now)
      let page = Self.html(try await client.send(.get, path))
      #expect(page.contains("href=\"\(path)/vnpay\""))
      #expect(page.contains("Thanh toán qua VNPay"))
      let redirect = try await client.send(.get, path + "/vnpay")
      #expect(redirect.status == .seeOther)
      let location = try #require(redirect.headers[.location])
      #expect(location.hasPrefix("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?"))
      #expect(location.contains("vnp_TxnRef=\(try #require(created["payment_code"]?.stringValue))"))
      #expect(location.contains("vnp_Amount=1600000"))
      #expect(location.contains("vnp_TmnCode=FEEPAY01"))
      #expect(location.contains("vnp_SecureHash="))
      // Another agency's invoice is not offered this agency's connector.
      let other = try await client.createInvoice(
        world.invoiceBody { $0["agency_code"] = .string(world.otherAgency) }, key: world.otherPortalKey
      ).json
      #expect(!Self.html(try await client.send(.get, try Self.path(other))).contains("VNPay"))
    }
  }

  @Test func lookupsPastTheLimitAre429WithRetryAfter() async throws {
    try await withFeePay(configure: { $0.pageRequestsPerMinute = 5 }) { world, client in
      let created = try await client.createInvoice(world.invoiceBody(), key: world.portalKey).json
      let path = try Self.path(created)
      for _ in 0..<3 { #expect(try await client.send(.get, path).status == .ok) }
      // Payment pages and receipt pages share one count per address.
      #expect(try await client.send(.get, "/receipts/nosuchcode0000").status == .notFound)
      #expect(try await client.send(.get, path + "/status").status == .ok)
      let refused = try await client.send(.get, path)
      #expect(refused.status == .tooManyRequests)
      let retry = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
      #expect((1...60).contains(retry))
      #expect(Self.html(refused).contains("Quá nhiều yêu cầu"))
      #expect(try await client.send(.get, "/receipts/nosuchcode0000").status == .tooManyRequests)
      // The API is not limited by it.
      #expect(try await client.send(.get, "/v1/invoices", key: world.portalKey).status == .ok)
      // The next minute opens again.
      world.clock.advance(by: 61)
      #expect(try await client.send(.get, path).status == .ok)
    }
  }

  /// Behind a trusted proxy the citizen's address comes from `X-Forwarded-For`; from anyone
  /// else the header is ignored, so a client cannot pick a fresh address per request.
  @Test func theLimitCountsTheForwardedAddressOnlyFromTrustedProxies() async throws {
    try await withFeePay(
      .live,
      configure: {
        $0.pageRequestsPerMinute = 2
        $0.trustedProxies = ["127.0.0.1"]
      }
    ) { world, client in
      let path = try Self.path(try await client.createInvoice(world.invoiceBody(), key: world.portalKey).json)
      for _ in 0..<2 {
        #expect(try await client.send(.get, path, headers: ["X-Forwarded-For": "203.0.113.5"]).status == .ok)
      }
      #expect(
        try await client.send(.get, path, headers: ["X-Forwarded-For": "203.0.113.5"]).status == .tooManyRequests)
      // Another citizen behind the same proxy has a count of their own; a spoofed hop to the
      // left of the proxy's does not change who the proxy says is calling.
      #expect(try await client.send(.get, path, headers: ["X-Forwarded-For": "203.0.113.6"]).status == .ok)
      #expect(
        try await client.send(.get, path, headers: ["X-Forwarded-For": "198.51.100.1, 203.0.113.5"]).status
          == .tooManyRequests)
    }
    try await withFeePay(.live, configure: { $0.pageRequestsPerMinute = 2 }) { world, client in
      let path = try Self.path(try await client.createInvoice(world.invoiceBody(), key: world.portalKey).json)
      for hop in ["203.0.113.1", "203.0.113.2"] {
        #expect(try await client.send(.get, path, headers: ["X-Forwarded-For": hop]).status == .ok)
      }
      #expect(
        try await client.send(.get, path, headers: ["X-Forwarded-For": "203.0.113.3"]).status == .tooManyRequests)
    }
  }
}
