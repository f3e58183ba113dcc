import ArgumentParser
import FeePayCore
import FeePayStore
import Foundation
import NIOHTTP1

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

struct ConnectorCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "connector", abstract: "Banks and payment gateways that post callbacks.",
    subcommands: [
      Add.self, List.self, RotateSecret.self, SetCSVMapping.self, SetStatementChannel.self, SetAutoRecovery.self,
    ])

  struct SetAutoRecovery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set-auto-recovery",
      abstract:
        "Whether statement lines for lost callbacks pay their invoice (on; only for a signed statement channel) or wait for a second person's approval (off, the default)."
    )

    @Option(help: "Connector code.") var code: String
    @Argument(help: "on or off.") var state: String

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        guard state == "on" || state == "off" else { throw FeePayError(.validationFailed, "say on or off") }
        let secrets = try runtime.secrets()
        try await runtime.withDatabase { database in
          try await ConnectorStore(database: database, secrets: secrets).setAutoRecovery(
            code: code, enabled: state == "on", actor: operatorActor, at: runtime.clock.now)
        }
        print("connector \(code): auto-recovery \(state)")
      }
    }
  }

  struct SetStatementChannel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set-statement-channel",
      abstract: "How the connector's statements arrive: upload (people upload them; the default) or signed.",
      discussion: """
        signed declares that this connector's statements come only through the bank's authenticated channel \
        (host-to-host: files the bank signs, fetched and checked by a machine that uploads them with an API key \
        no person holds). Only then may auto-recovery pay invoices from statement lines; files uploaded in the \
        console or with `feepay reconcile` still wait for a second person's approval. Back to upload turns \
        auto-recovery off.
        """)

    @Option(help: "Connector code.") var code: String
    @Argument(help: "upload or signed.") var channel: String

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        guard let channel = StatementChannel(rawValue: channel) else {
          throw FeePayError(.validationFailed, "say upload or signed")
        }
        let secrets = try runtime.secrets()
        try await runtime.withDatabase { database in
          try await ConnectorStore(database: database, secrets: secrets).setStatementChannel(
            code: code, channel: channel, actor: operatorActor, at: runtime.clock.now)
        }
        print("connector \(code): statements arrive by \(channel.rawValue)")
      }
    }
  }

  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add a connector.")

    @Option(help: "Connector code, e.g. vcb; callbacks go to /v1/callbacks/<code>.") var code: String
    @Option(help: "standard-webhooks, standard-webhooks-ed25519 or vnpay.") var kind: String
    @Option(help: "HMAC secret for standard-webhooks (whsec_…).") var secret: String?
    @Option(help: "The bank's Ed25519 public key (whpk_…).") var publicKey: String?
    @Option(help: "VNPay terminal code.") var tmnCode: String?
    @Option(help: "VNPay hash secret.") var hashSecret: String?
    @Option(help: "Comma-separated agencies whose money it may collect (default: all).") var agencies: String?
    @Option(help: "How its statements arrive: upload (default) or signed (see set-statement-channel).")
    var statementChannel = "upload"

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        guard let kind = ConnectorKind(rawValue: kind) else {
          throw FeePayError(.validationFailed, "--kind must be standard-webhooks, standard-webhooks-ed25519 or vnpay")
        }
        guard let channel = StatementChannel(rawValue: statementChannel) else {
          throw FeePayError(.validationFailed, "--statement-channel must be upload or signed")
        }
        if secret != nil, hashSecret != nil {
          throw FeePayError(.validationFailed, "give --secret or --hash-secret, not both")
        }
        let new = ConnectorStore.NewConnector(
          code: code, kind: kind, secret: secret ?? hashSecret, publicKey: publicKey, tmnCode: tmnCode,
          agencies: agencies.map(splitList) ?? [], statementChannel: channel)
        if let problem = new.problem { throw FeePayError(.validationFailed, problem) }
        let secrets = try runtime.secrets()
        try await runtime.withDatabase { database in
          try await ConnectorStore(database: database, secrets: secrets).add(
            new, actor: operatorActor, at: runtime.clock.now)
        }
        print("connector \(code) added; callbacks go to /v1/callbacks/\(code)")
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List connectors (no secrets).")

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let secrets = try runtime.secrets()
        let list = try await runtime.withDatabase { database in
          try await ConnectorStore(database: database, secrets: secrets).list()
        }
        print("CODE\tKIND\tAGENCIES\tSTATEMENTS\tAUTO-RECOVERY\tPREVIOUS SECRET VALID UNTIL")
        for c in list {
          print(
            "\(c.code)\t\(c.kind)\t\(c.agencies.isEmpty ? "all" : c.agencies.joined(separator: ","))\t\(c.statementChannel.rawValue)\t\(c.autoRecovery ? "on" : "off")\t\(c.previousValidUntil.map(Timestamp.format) ?? "-")"
          )
        }
      }
    }
  }

  struct RotateSecret: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Give a connector a new secret (or public key); the old one stays valid for a grace period.",
      discussion: "Without --secret, --hash-secret or --public-key, a new whsec_ secret is generated and printed once.")

    @Option(help: "Connector code.") var code: String
    @Option(help: "The new HMAC secret (whsec_…).") var secret: String?
    @Option(help: "The new VNPay hash secret.") var hashSecret: String?
    @Option(help: "The bank's new Ed25519 public key (whpk_…).") var publicKey: String?
    @Option(help: "Hours during which the old secret still verifies.") var graceHours: Int = 24

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        guard (0...720).contains(graceHours) else {
          throw FeePayError(.validationFailed, "--grace-hours must be 0-720")
        }
        let generated = secret == nil && hashSecret == nil && publicKey == nil ? WebhookSecret.generate() : nil
        let secrets = try runtime.secrets()
        let now = runtime.clock.now
        try await runtime.withDatabase { database in
          try await ConnectorStore(database: database, secrets: secrets).rotate(
            code: code, newSecret: secret ?? hashSecret ?? generated, newPublicKey: publicKey,
            graceUntil: now.addingTimeInterval(Double(graceHours) * 3600), actor: operatorActor, at: now)
        }
        note("connector \(code) rotated; the previous secret verifies for \(graceHours) more hours")
        if let generated { print(generated) }
      }
    }
  }
}

extension Optional {
  func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
    guard let self else { return nil }
    return try await transform(self)
  }
}

func splitList(_ text: String) -> [String] {
  text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

struct BankCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bank", abstract: "A bank in a box, for demos and tests.", subcommands: [Simulate.self])

  struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Sign and post a payment callback the way the connector's bank would; print FeePay's answer.")

    @Option(help: "Connector code.") var connector: String
    @Option(help: "The invoice's payment code.") var paymentCode: String
    @Option(help: "Amount in đồng (default: the invoice's total).") var amount: Int64?
    @Option(help: "Bank transaction id (default: a new one).") var bankTxnId: String?
    @Option(help: "FeePay's base URL.") var url = "http://127.0.0.1:8080"
    @Option(help: "For standard-webhooks-ed25519: the bank's signing key (whsk_…), or FEEPAY_BANK_SIGNING_KEY.")
    var signingKey: String?

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let (status, body) = try await simulateCallback(
          runtime: runtime, connector: connector, paymentCode: paymentCode, amount: amount, bankTxnID: bankTxnId,
          baseURL: url, signingKey: signingKey ?? runtime.environment["FEEPAY_BANK_SIGNING_KEY"])
        print("HTTP \(status) \(body)")
        if !(200..<300).contains(status) { throw ExitCode.failure }
      }
    }
  }
}

/// Signs a callback with the connector's own material (as its bank would) and posts it.
func simulateCallback(
  runtime: Runtime, connector code: String, paymentCode: String, amount: Int64?, bankTxnID: String?, baseURL: String,
  signingKey: String?
) async throws -> (Int, String) {
  let secrets = try runtime.secrets()
  let now = runtime.clock.now
  let (connector, total) = try await runtime.withDatabase { database in
    let connector = try await ConnectorStore(database: database, secrets: secrets).connector(code, now: now)
    let invoice = try await PaymentCode(parsing: paymentCode).asyncMap {
      try await InvoiceStore(
        database: database, ids: IDGenerator(clock: runtime.clock), presenter: InvoicePresenter(publicBaseURL: "")
      ).find(paymentCode: $0)
    }
    return (connector, invoice??.totalAmount)
  }
  guard let connector else { throw FeePayError(.notFound, "no connector \(code)") }
  guard let amount = amount ?? total else {
    throw FeePayError(.notFound, "no invoice with payment code \(paymentCode); give --amount to send it anyway")
  }
  let txn = bankTxnID ?? "SIM.\(Int(now.timeIntervalSince1970)).\(Int.random(in: 100_000...999_999))"
  let client = CommandHTTPClient()
  switch connector.kind {
  case .standardWebhooks, .standardWebhooksEd25519:
    let body: JSONValue = [
      "type": "payment.succeeded", "timestamp": .string(Timestamp.format(now)),
      "data": [
        "payment_code": .string(paymentCode), "amount": .integer(amount), "currency": .string(Currency.vnd.rawValue),
        "bank_txn_id": .string(txn),
        "paid_at": .string(Timestamp.format(now)), "payer_account": "0071000999999", "payer_name": "NGUYEN VAN AN",
        "memo": .string("\(paymentCode) nop le phi"),
      ],
    ]
    let bytes = body.jsonBytes
    let id = "msg_\(Base64URL.encode(randomBytes(12)))"
    let timestamp = String(Int(now.timeIntervalSince1970))
    let signature: String
    if connector.kind == .standardWebhooks {
      guard let secret = connector.secrets.first.flatMap(StandardWebhooks.secretBytes) else {
        throw FeePayError(.configuration, "connector \(code) has no usable secret")
      }
      signature = StandardWebhooks.signHMAC(secret: secret, id: id, timestamp: timestamp, body: bytes)
    } else {
      guard let key = signingKey.flatMap({ StandardWebhooks.keyBytes($0, prefix: "whsk_") }) else {
        throw FeePayError(.validationFailed, "an Ed25519 connector needs the bank's --signing-key whsk_…")
      }
      signature = try StandardWebhooks.signEd25519(privateKey: key, id: id, timestamp: timestamp, body: bytes)
    }
    let answer = try await client.send(
      .POST, "\(baseURL)/v1/callbacks/\(code)",
      headers: [
        ("content-type", "application/json"), ("webhook-id", id), ("webhook-timestamp", timestamp),
        ("webhook-signature", signature),
      ], body: bytes)
    return (answer.status, answer.text)
  case .vnpay:
    let parameters: [(String, String)] = [
      ("vnp_Amount", String(amount * 100)), ("vnp_BankCode", "NCB"), ("vnp_CardType", "ATM"),
      ("vnp_OrderInfo", "Thanh toan \(paymentCode)"), ("vnp_PayDate", VNPay.formatDate(now)),
      ("vnp_ResponseCode", "00"), ("vnp_TmnCode", connector.tmnCode ?? ""), ("vnp_TransactionNo", txn),
      ("vnp_TransactionStatus", "00"), ("vnp_TxnRef", paymentCode),
    ]
    let query = VNPay.signedQuery(parameters, secret: connector.secrets.first ?? "")
    let answer = try await client.send(.GET, "\(baseURL)/v1/callbacks/\(code)?\(query)")
    return (answer.status, answer.text)
  }
}
