import ArgumentParser
import FeePayCore
import FeePayStore
import Foundation

/// `feepay staff`: the console's people. Adding or resetting a person prints a one-time
/// enrolment link (valid 24 hours) on which they set a password and enrol an authenticator.
struct StaffCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "staff", abstract: "People who sign in to the console.",
    subcommands: [Add.self, List.self, Disable.self, Reset.self])

  /// Where enrolment links point: `FEEPAY_PUBLIC_URL`, as for citizens' links.
  static func link(_ enrolment: StaffEnrolment, runtime: Runtime) -> String {
    let base =
      runtime.environment["FEEPAY_PUBLIC_URL"] ?? "http://127.0.0.1:\(runtime.environment["FEEPAY_PORT"] ?? "8080")"
    return "\(base.hasSuffix("/") ? String(base.dropLast()) : base)/console/enrol/\(enrolment.token)"
  }

  static func store(_ database: Database, _ runtime: Runtime) throws -> StaffStore {
    StaffStore(database: database, ids: IDGenerator(clock: runtime.clock), secrets: try runtime.secrets())
  }

  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Add a person; prints their one-time enrolment link (valid 24 hours).")

    @Option(help: "Their email address (how they sign in).") var email: String
    @Option(help: "Their full name, as the audit log shows it.") var name: String
    @Option(help: "accountant, auditor or admin.") var role: String
    @Option(help: "Only these agencies' money (codes, comma-separated); default every agency.") var agencies: String?

    /// The role asked for, or the refusal that names the three a person may have.
    var staffRole: Role {
      get throws {
        guard let role = Role(rawValue: role), StaffMember.roles.contains(role) else {
          throw ValidationError("--role must be accountant, auditor or admin")
        }
        return role
      }
    }

    func validate() throws { _ = try staffRole }

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let codes = Set((agencies ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
          .filter { !$0.isEmpty }
        let (member, enrolment) = try await runtime.withDatabase { database in
          try await StaffCommand.store(database, runtime).add(
            email: email, name: name, role: try staffRole, agencies: codes, actor: operatorActor,
            now: runtime.clock.now)
        }
        note(
          "\(member.email) added as \(member.role.rawValue); their enrolment link follows (shown once, valid 24 hours)")
        print(StaffCommand.link(enrolment, runtime: runtime))
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the console's people.")

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let people = try await runtime.withDatabase { database in try await StaffCommand.store(database, runtime).list()
        }
        for person in people {
          let agencies = person.agencies.isEmpty ? "all agencies" : person.agencies.sorted().joined(separator: ",")
          print("\(person.email)\t\(person.role.rawValue)\t\(person.status.rawValue)\t\(agencies)\t\(person.name)")
        }
      }
    }
  }

  struct Disable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Disable a person: they can no longer sign in, and their sessions end now.")

    @Argument(help: "Their email address.") var email: String

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        try await runtime.withDatabase { database in
          try await StaffCommand.store(database, runtime).disable(
            email: email, actor: operatorActor, now: runtime.clock.now)
        }
        print("\(email.lowercased()) disabled; their sessions have ended")
      }
    }
  }

  struct Reset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Clear a person's password and authenticator and print a new enrolment link.")

    @Argument(help: "Their email address.") var email: String

    func run() async throws {
      let runtime = Runtime(logger: commandLogger())
      try await reportingErrors {
        let (_, enrolment) = try await runtime.withDatabase { database in
          try await StaffCommand.store(database, runtime).reset(
            email: email, actor: operatorActor, now: runtime.clock.now)
        }
        note("\(email.lowercased()) must enrol again; their new link follows (shown once, valid 24 hours)")
        print(StaffCommand.link(enrolment, runtime: runtime))
      }
    }
  }
}
