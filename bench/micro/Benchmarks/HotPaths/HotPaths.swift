import Benchmark
import FeePayCore
import Foundation

/// The pure work FeePay does on every request of its hot paths, measured without the network
/// or the database: signature checks (callbacks), VietQR building (invoice creation), payment
/// code parsing (callbacks and statements), amount in words (receipts), CSV statement lines
/// (reconciliation) and request JSON (invoice creation).
nonisolated(unsafe) let benchmarks = {
  // FEEPAY_BENCH_QUICK (scripts/bench --quick): a few iterations each, to check that they run.
  let quick = ProcessInfo.processInfo.environment["FEEPAY_BENCH_QUICK"] != nil
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .mallocCountTotal, .throughput],
    maxDuration: quick ? .milliseconds(50) : .seconds(2),
    maxIterations: quick ? 100 : 1_000_000)

  let secret = StandardWebhooks.secretBytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!
  let body = Array(
    #"{"type":"payment.succeeded","data":{"payment_code":"FP7K2M9Q4XM","amount":150000,"currency":"VND","bank_txn_id":"VCB.20261129.000123","paid_at":"2026-11-29T03:15:00Z"}}"#
      .utf8)
  let now = Date(timeIntervalSince1970: 1_764_386_100)
  let timestamp = "1764386100"
  let signature = StandardWebhooks.signHMAC(secret: secret, id: "msg_1", timestamp: timestamp, body: body)
  Benchmark("Standard Webhooks HMAC verify (callback)") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(
        try? StandardWebhooks.verify(
          id: "msg_1", timestamp: timestamp, signatures: signature, body: body, verifier: .hmac([secret]), now: now))
    }
  }

  let vnpay: [(String, String)] = [
    ("vnp_Amount", "15000000"), ("vnp_BankCode", "NCB"), ("vnp_OrderInfo", "Thanh toan FP7K2M9Q4XM"),
    ("vnp_PayDate", "20261129101500"), ("vnp_ResponseCode", "00"), ("vnp_TmnCode", "FEEPAY01"),
    ("vnp_TransactionNo", "14123456"), ("vnp_TransactionStatus", "00"), ("vnp_TxnRef", "FP7K2M9Q4XM"),
  ]
  let vnpaySecret = "SECRETKEYFORBENCHMARKS0123456789"
  let signed = vnpay + [("vnp_SecureHash", VNPay.secureHash(vnpay, secret: vnpaySecret))]
  Benchmark("VNPay IPN HMAC-SHA512 verify (callback)") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(VNPay.verify(signed, secrets: [vnpaySecret]))
    }
  }

  Benchmark("VietQR payload with CRC (invoice creation)") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(
        try? VietQR.payload(
          bankBIN: "970436", accountNumber: "0071000123456", amount: 150_000, billNumber: "FP7K2M9Q4XM",
          purpose: "FP7K2M9Q4XM"))
    }
  }

  // A valid code (FP7K2M9Q4X + check character M, Luhn mod 32), lowercase as a bank may send it.
  Benchmark("Payment code parse (callback)") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(PaymentCode(parsing: "fp7k2m9q4xm"))
    }
  }

  // The same code with a wrong check character (H): the typo is rejected.
  Benchmark("Payment code parse, wrong check character (rejected)") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(PaymentCode(parsing: "fp7k2m9q4xh"))
    }
  }

  Benchmark("Payment code found in a memo (statement line)") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(PaymentCode.find(inMemo: "NGUYEN VAN AN chuyen khoan FP7K2M9Q4XM le phi ho tich"))
    }
  }

  Benchmark("Amount in Vietnamese words (receipt)") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(AmountInWords.vietnamese(1_234_505_000))
    }
  }

  // 1,000 lines of FeePay's CSV statement format, read and turned into COPY rows.
  var csv = "bank_txn_id,payment_code,amount,currency,paid_at,payer_account,memo\n"
  for i in 0..<1000 {
    csv +=
      "VCB.20261129.\(i),FP7K2M9Q4XM,150000,VND,2026-11-29T10:15:00+07:00,0071000999999,\"chuyen khoan, le phi \(i)\"\n"
  }
  let csvBytes = Array(csv.utf8)
  Benchmark(
    "CSV statement, 1,000 lines to COPY rows (reconciliation)",
    configuration: .init(scalingFactor: .one)
  ) { benchmark in
    for _ in benchmark.scaledIterations {
      var reader = CSVReader()
      var statement = CSVStatement(mapping: .feepay)
      var first = true
      var out = 0
      try reader.feed(csvBytes) { record in
        if first {
          try statement.header(record)
          first = false
        } else {
          out &+= try statement.line(record).copyRow(settlementID: "stl_bench").utf8.count
        }
      }
      blackHole(out)
    }
  }

  let request = Array(
    #"{"agency_code":"HCM-STP","dossier_code":"000.00.12.H29-261129-0001","procedure_code":"1.001234","payer":{"name":"Nguyễn Văn An","id_number":"079123456789"},"lines":[{"fee_code":"LPHT-01","description":"Lệ phí cấp bản sao trích lục hộ tịch","quantity":2,"unit_amount":8000}],"currency":"VND","metadata":{"portal_ref":"A-77"}}"#
      .utf8)
  let draft = try! InvoiceDraft(json: try! JSONValue.parse(request), now: now)
  let invoice = Invoice(
    id: "inv_01m8m63bv5esnr37d143yx2a25", portalCode: "dvc-hcm", agencyCode: draft.agencyCode,
    dossierCode: draft.dossierCode, procedureCode: draft.procedureCode, payer: draft.payer, lines: draft.lines,
    totalAmount: draft.totalAmount, currency: draft.currency, paymentCode: "FPK7M3Q9X2Z",
    vietQR: "00020101021238570010A00000072701270006970436011300710001234560208QRIBFTTA530370454051600058",
    storedStatus: .open, expiresAt: draft.expiresAt, createdAt: now, paidAt: nil, cancelledAt: nil, receiptID: nil,
    metadata: draft.metadata)
  let presenter = InvoicePresenter(publicBaseURL: "https://feepay.example.vn")
  Benchmark("Invoice response JSON, direct writer (invoice creation)") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(presenter.json(invoice, now: now))
    }
  }
  Benchmark("Invoice list page JSON, 50 invoices, direct writer (list pages)") { benchmark in
    for _ in benchmark.scaledIterations {
      let page: JSONValue = [
        "data": .array(Array(repeating: presenter.object(invoice, now: now).jsonValue, count: 50)),
        "next_cursor": .null,
      ]
      blackHole(page.jsonBytes)
    }
  }

  Benchmark("Invoice request: strict JSON parse and validation (invoice creation)") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(try InvoiceDraft(json: try JSONValue.parse(request), now: now))
    }
  }
}
