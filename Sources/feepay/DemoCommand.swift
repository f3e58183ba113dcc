import ArgumentParser
import FeePayCore
import FeePayStore
import Foundation
import NIOHTTP1

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Walks one invoice through the whole flow against a running `feepay serve`.
struct Demo: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Seed a demo agency, portal, connector and key; create an invoice; pay it through the bank simulator.",
    discussion: "Run `feepay serve` first (in another terminal, same folder or DATABASE_URL).")

  @Option(help: "FeePay's base URL.") var url = "http://127.0.0.1:8080"

  func run() async throws {
    let runtime = Runtime(logger: commandLogger())
    try await reportingErrors {
      let secrets = try runtime.secrets()
      let now = runtime.clock.now
      let key: String = try await runtime.withDatabase { database in
        let ids = IDGenerator(clock: runtime.clock)
        let provisioning = ProvisioningStore(database: database, ids: ids)
        if try await provisioning.agencies().contains(where: { $0.code == "DEMO-STP" }) == false {
          try await provisioning.addAgency(
            Agency(
              code: "DEMO-STP", name: "Sở Tư pháp (demo)", taxCode: "0301234567", bankBIN: "970436",
              accountNumber: "0071000123456", accountName: "SO TU PHAP DEMO", receiptTemplate: "EBL01",
              receiptSeries: "\(String(BusinessDate(containing: now).year).suffix(2))T",
              address: "141 Pasteur, phường Xuân Hòa, TP. Hồ Chí Minh", phone: "028 3829 0230"), actor: "demo", at: now)
          _ = try await provisioning.addPortal(
            code: "demo-portal", name: "Cổng DVC (demo)", agencies: ["DEMO-STP"], webhookURL: nil, secrets: secrets,
            actor: "demo", at: now)
          try await ConnectorStore(database: database, secrets: secrets).add(
            .init(
              code: "demo-bank", kind: .standardWebhooks, secret: WebhookSecret.generate(), publicKey: nil,
              tmnCode: nil,
              agencies: []), actor: "demo", at: now)
        }
        return try await provisioning.createKey(
          role: .portal, portalCode: "demo-portal", label: "demo", actor: "demo", at: now
        )
        .secret
      }
      print("1. seeded agency DEMO-STP, portal demo-portal, connector demo-bank; portal key \(key.prefix(12))…")

      let body: JSONValue = [
        "agency_code": "DEMO-STP", "dossier_code": .string("DEMO-\(Int(now.timeIntervalSince1970))"),
        "procedure_code": "1.001234", "payer": ["name": "Nguyễn Văn An", "id_number": "079123456789"],
        "lines": [
          [
            "fee_code": "LPHT-01", "description": "Lệ phí cấp bản sao trích lục hộ tịch", "quantity": 2,
            "unit_amount": 8000,
          ]
        ],
      ]
      let (created, invoice) = try await Self.send(.POST, "\(url)/v1/invoices", key: key, body: body)
      guard created == 201, let id = invoice["id"]?.stringValue, let code = invoice["payment_code"]?.stringValue else {
        throw FeePayError(.internalError, "creating the invoice answered \(created): \(invoice.jsonText)")
      }
      print("2. created invoice \(id): \(invoice["total_amount"]?.intValue ?? 0) đồng, payment code \(code)")
      print("   VietQR: \(invoice["vietqr"]?.stringValue ?? "")")

      let (status, answer) = try await simulateCallback(
        runtime: runtime, connector: "demo-bank", paymentCode: code, amount: nil, bankTxnID: nil, baseURL: url,
        signingKey: nil)
      print("3. the bank posted a signed callback; FeePay answered HTTP \(status) \(answer)")

      let (_, paid) = try await Self.send(.GET, "\(url)/v1/invoices/\(id)", key: key, body: nil)
      print(
        "4. invoice \(id) is now \(paid["status"]?.stringValue ?? "?") (paid at \(paid["paid_at"]?.stringValue ?? "-"))"
      )

      // The receipt issuer runs every second or so: wait for the receipt a little.
      var receipt: JSONValue = .null
      for _ in 0..<50 {
        let (status, body) = try await Self.send(.GET, "\(url)/v1/invoices/\(id)/receipt", key: key, body: nil)
        if status == 200 {
          receipt = body
          break
        }
        try await Task.sleep(for: .milliseconds(200))
      }
      if let number = receipt["number"]?.stringValue {
        print(
          "5. receipt \(receipt["series"]?.stringValue ?? "") \(number) issued (\(receipt["amount_in_words"]?.stringValue ?? "")); the citizen's page: \(receipt["verify_url"]?.stringValue ?? "")"
        )
      } else {
        print("5. no receipt yet (is the receipt issuer running?)")
      }
    }
  }

  static func send(_ method: HTTPMethod, _ url: String, key: String, body: JSONValue?) async throws -> (Int, JSONValue)
  {
    var headers = [("authorization", "Bearer \(key)")]
    if body != nil {
      headers += [("content-type", "application/json"), ("idempotency-key", UUID().uuidString)]
    }
    let answer = try await CommandHTTPClient().send(method, url, headers: headers, body: body?.jsonBytes)
    return (answer.status, answer.json)
  }
}
