import ArgumentParser
import FeePayCore
import FeePayServer
import FeePayStore
import Foundation

/// The actor the audit log records for commands run by an operator at the terminal.
var operatorActor: String { "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "operator")" }

struct AgencyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "agency", abstract: "Agencies that collect fees.",
    subcommands: [Add.self, List.self, SetSeries.self, SetContact.self])

  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add an agency and its collection account.")

    @Option(help: "Agency code, e.g. HCM-STP.") var code: String
    @Option(help: "Agency name.") var name: String
    @Option(help: "Tax code (10 digits, or 10-3).") var taxCode: String
    @Option(help: "Collection bank's 6-digit BIN (VietQR).") var bankBin: String
    @Option(help: "Collection account number.") var accountNumber: String
    @Option(help: "Account name as the bank holds it (uppercase ASCII).") var accountName: String
    @Option(
      help:
        "Receipt template symbol (ký hiệu mẫu, Circular 32/2025/TT-BTC): EBL01 (no printed face value) or EBL02."
    ) var receiptTemplate = "EBL01"
    @Option(help: "Receipt series (ký hiệu): the year's last two digits and T, e.g. 26T.") var receiptSeries: String
    @Option(help: "The agency's address, printed on its receipts.") var address: String?
    @Option(help: "The agency's telephone, printed on its receipts.") var phone: String?

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let agency = Agency(
          code: code, name: name.nfc, taxCode: taxCode, bankBIN: bankBin, accountNumber: accountNumber,
          accountName: accountName, receiptTemplate: receiptTemplate, receiptSeries: receiptSeries,
          address: address?.nfc, phone: phone)
        if let problem = agency.problems.first { throw FeePayError(.validationFailed, problem) }
        try await runtime.withDatabase { database in
          try await ProvisioningStore(database: database, ids: IDGenerator(clock: runtime.clock))
            .addAgency(agency, actor: operatorActor, at: runtime.clock.now)
        }
        print("agency \(code) added")
      }
    }
  }

  struct SetContact: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set-contact", abstract: "Set the address and telephone an agency's receipts print.")

    @Option(help: "Agency code.") var code: String
    @Option(help: "The agency's address.") var address: String?
    @Option(help: "The agency's telephone.") var phone: String?

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        guard address != nil || phone != nil else {
          throw FeePayError(.validationFailed, "give --address, --phone or both")
        }
        try await runtime.withDatabase { database in
          try await ProvisioningStore(database: database, ids: IDGenerator(clock: runtime.clock)).setContact(
            agency: code, address: address?.nfc, phone: phone, actor: operatorActor, at: runtime.clock.now)
        }
        print("agency \(code) updated; its next receipts print it")
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List agencies.")

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let agencies = try await runtime.withDatabase { database in
          try await ProvisioningStore(database: database, ids: IDGenerator(clock: runtime.clock)).agencies()
        }
        for a in agencies {
          print("\(a.code)\t\(a.name)\t\(a.bankBIN)/\(a.accountNumber)\t\(a.receiptTemplate) \(a.receiptSeries)")
        }
      }
    }
  }
}

struct PortalCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "portal", abstract: "Portals: the systems that create invoices.",
    subcommands: [Add.self, RotateSecret.self, Enable.self, SetReturnHosts.self])

  struct SetReturnHosts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Set the hosts a portal may send citizens back to after VNPay (the checkout's return_url); replaces the list.")

    @Option(help: "Portal code.") var code: String
    @Option(help: "Comma-separated host names, e.g. dichvucong.example.gov.vn; empty: none.") var hosts: String

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let list = hosts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        try await runtime.withDatabase { database in
          try await ProvisioningStore(database: database, ids: IDGenerator(clock: runtime.clock)).setReturnHosts(
            portal: code, hosts: list, actor: operatorActor, at: runtime.clock.now)
        }
        print(
          "portal \(code): return hosts \(list.isEmpty ? "none" : list.map { $0.lowercased() }.joined(separator: ", "))"
        )
      }
    }
  }

  struct RotateSecret: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Give a portal a new webhook secret; prints it once. Both sign during the grace period.")

    @Option(help: "Portal code.") var code: String
    @Option(help: "Hours during which deliveries carry both signatures.") var graceHours: Int = 24

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        guard (0...720).contains(graceHours) else {
          throw FeePayError(.validationFailed, "--grace-hours must be 0-720")
        }
        let secrets = try runtime.secrets()
        let now = runtime.clock.now
        let secret = try await runtime.withDatabase { database in
          try await WebhookStore(database: database, secrets: secrets).rotateSecret(
            portal: code, graceUntil: now.addingTimeInterval(Double(graceHours) * 3600), actor: operatorActor, now: now)
        }
        note("portal \(code): new webhook secret follows (shown once); the old one also signs for \(graceHours) hours")
        print(secret)
      }
    }
  }

  struct Enable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Turn a portal's webhook endpoint back on after it answered 410 Gone.")

    @Option(help: "Portal code.") var code: String

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let secrets = try runtime.secrets()
        try await runtime.withDatabase { database in
          try await WebhookStore(database: database, secrets: secrets).enable(
            portal: code, actor: operatorActor, now: runtime.clock.now)
        }
        print("portal \(code): webhooks enabled; waiting deliveries resume")
      }
    }
  }

  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Add a portal; prints its webhook secret (whsec_…) once.")

    @Option(help: "Portal code, e.g. dvc-hcm.") var code: String
    @Option(help: "Portal name.") var name: String
    @Option(help: "Comma-separated agency codes the portal may bill for.") var agencies: String
    @Option(help: "Where FeePay posts the portal's webhooks.") var webhookURL: String?

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let list = agencies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let secrets = try runtime.secrets()
        let allowPrivate = try runtime.webhooksMayGoPrivate()
        if let webhookURL {
          let transport = WebhookTransport(allowPrivate: allowPrivate)
          if let refusal = await transport.refusal(
            of: webhookURL, unresolved: { note("warning: \($0); FeePay checks it again before every delivery") })
          {
            throw FeePayError(.validationFailed, "webhook URL refused: \(refusal)")
          }
        }
        let secret = try await runtime.withDatabase { database in
          try await ProvisioningStore(database: database, ids: IDGenerator(clock: runtime.clock)).addPortal(
            code: code, name: name, agencies: list, webhookURL: webhookURL, allowPrivateWebhooks: allowPrivate,
            secrets: secrets, actor: operatorActor, at: runtime.clock.now)
        }
        note("portal \(code) added; its webhook secret follows (shown once: store it in the portal's configuration)")
        print(secret)
      }
    }
  }
}

struct KeyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "key", abstract: "API keys.", subcommands: [Create.self, Revoke.self, List.self])

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create an API key; prints it once.")

    @Option(help: "The portal the key belongs to.") var portal: String?
    @Option(help: "A person's role: accountant, auditor or admin.") var role: String?
    @Option(help: "A label to tell keys apart.") var label: String?

    func validate() throws {
      guard (portal == nil) != (role == nil) else { throw ValidationError("give exactly one of --portal or --role") }
      if let role, !["accountant", "auditor", "admin"].contains(role) {
        throw ValidationError("--role must be accountant, auditor or admin")
      }
    }

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let key = try await runtime.withDatabase { database in
          try await ProvisioningStore(database: database, ids: IDGenerator(clock: runtime.clock)).createKey(
            role: role.flatMap(Role.init) ?? .portal, portalCode: portal, label: label, actor: operatorActor,
            at: runtime.clock.now)
        }
        note("key \(key.prefix) created; the key follows (shown once)")
        print(key.secret)
      }
    }
  }

  struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke a key, given whole or by its listed prefix.")

    @Argument(help: "The key (fpk_…) or the prefix that `feepay key list` shows.") var key: String

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let prefix = try await runtime.withDatabase { database in
          try await ProvisioningStore(database: database, ids: IDGenerator(clock: runtime.clock))
            .revokeKey(key, actor: operatorActor, at: runtime.clock.now)
        }
        print("key \(prefix) revoked")
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List keys (prefixes, never the keys).")

    @Option(help: "Only this portal's keys.") var portal: String?

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let keys = try await runtime.withDatabase { database in
          try await ProvisioningStore(database: database, ids: IDGenerator(clock: runtime.clock)).listKeys(
            portalCode: portal)
        }
        print("PREFIX\tROLE\tPORTAL\tCREATED\tREVOKED\tLABEL")
        for k in keys {
          print(
            "\(k.prefix)\t\(k.role.rawValue)\t\(k.portalCode ?? "-")\t\(Timestamp.format(k.createdAt))\t\(k.revokedAt.map(Timestamp.format) ?? "-")\t\(k.label ?? "")"
          )
        }
      }
    }
  }
}
