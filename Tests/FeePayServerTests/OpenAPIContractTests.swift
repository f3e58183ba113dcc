import FeePayCore
import FeePayStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import Testing

@testable import FeePayServer

/// The OpenAPI document and the router describe the same API: every registered route is an
/// operation of the document and every operation a route (method and path template), and a
/// known path asked with a method it lacks answers 405 with `Allow`.
@Suite(.timeLimit(.minutes(5))) struct OpenAPIContractTests {
  /// `METHOD /path/{}` for every route the application registers (parameter names erased:
  /// the router's are not the document's).
  static func registeredOperations() throws -> Set<String> {
    let database = Database(
      configuration: PostgresClient.Configuration(
        host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: nil, tls: .disable),
      logger: Logger(label: "contract"))
    let components = AppComponents(
      configuration: AppConfiguration(), database: database,
      migrator: try Migrator(directory: TestEnvironment.migrationsDirectory),
      secrets: try SecretBox(base64: SecretBox.generateMasterKey()), clock: SystemClock(), metrics: AppMetrics())
    let router = Router(context: AppRequestContext.self)
    addRoutes(components, to: router)
    return Set(
      router.routes.map { route in
        let template = route.path.description.split(separator: "/", omittingEmptySubsequences: false).map {
          $0.hasPrefix(":") ? "{}" : String($0)
        }.joined(separator: "/")
        // The console's assets are named by their content's hash: one documented path.
        if template.hasPrefix("/assets/console-") { return "\(route.method.rawValue) /assets/{}" }
        return shape("\(route.method.rawValue) \(template)")
      })
  }

  static func shape(_ operation: String) -> String {
    operation.replacingOccurrences(of: #"\{[^}]*\}"#, with: "{}", options: .regularExpression)
  }

  @Test func theDocumentAndTheRouterListTheSameOperations() throws {
    let documented = Set(Self.documentedResponses().map { Self.shape("\($0.method) \($0.path)") })
    let registered = try Self.registeredOperations()
    #expect(documented.count > 30, "the document's paths were not read")
    #expect(registered.count > 30, "the router's routes were not read")
    let missingFromDocument = registered.subtracting(documented)
    let missingFromRouter = documented.subtracting(registered)
    #expect(missingFromDocument.isEmpty, "routes the document lacks: \(missingFromDocument.sorted())")
    #expect(missingFromRouter.isEmpty, "operations no route implements: \(missingFromRouter.sorted())")
  }

  /// One operation of the document, as far as the status codes it must declare go.
  struct Operation {
    var method: String
    var path: String
    var isPublic = false
    var jsonBody = false
    var statuses: Set<String> = []
  }

  static func documentedResponses() -> [Operation] {
    var operations: [Operation] = []
    var path: String?
    var inPaths = false
    var inBody = false
    for line in openAPIDocument.split(separator: "\n", omittingEmptySubsequences: false) {
      if line == "paths:" {
        inPaths = true
        continue
      }
      guard inPaths else { continue }
      if let first = line.first, first != " " { break }
      let indent = line.prefix { $0 == " " }.count
      let text = line.dropFirst(indent)
      switch indent {
      case 2 where text.hasPrefix("/"): path = String(text.dropLast())
      case 4 where text.hasSuffix(":") && text != "parameters:":
        operations.append(Operation(method: text.dropLast().uppercased(), path: path ?? ""))
      case 6:
        inBody = text == "requestBody:"
        if text == "security: []" { operations[operations.count - 1].isPublic = true }
      case 8 where text.hasPrefix("\"") && text.dropFirst(4).hasPrefix("\":"):
        operations[operations.count - 1].statuses.insert(String(text.dropFirst().prefix(3)))
      case 10 where inBody && text == "application/json:": operations[operations.count - 1].jsonBody = true
      default: break
      }
    }
    return operations
  }

  /// The document declares the codes each operation can really answer: `401`/`403` behind a
  /// key, `404` under a path parameter, `400`/`413`/`415`/`422` for a JSON body (a bank's
  /// callback is refused as `400`, whatever the content type), and `503` wherever the database
  /// is asked.
  @Test func everyOperationDeclaresTheCodesItCanAnswer() {
    let noDatabase: Set<String> = [
      "GET /health/live", "GET /metrics", "GET /openapi.yaml", "GET /assets/feepay.css", "GET /assets/pay.js",
      "GET /assets/{console_asset}",
    ]
    // A date that does not parse is a 422 of the path parameter, never a 404.
    let validatedPath: Set<String> = ["POST /v1/business-days/{date}/close"]
    var missing: [String] = []
    let operations = Self.documentedResponses()
    #expect(operations.count > 30)
    for op in operations {
      let name = "\(op.method) \(op.path)"
      var required: Set<String> = []
      if !op.isPublic {
        // A console page without a session sends the browser to sign in (a form is 403).
        if op.path.hasPrefix("/console") {
          required.formUnion(op.method == "GET" ? ["303", "403"] : ["403"])
        } else {
          required.formUnion(["401", "403"])
        }
      }
      if op.path.contains("{"), !validatedPath.contains(name) { required.insert("404") }
      if op.jsonBody {
        required.formUnion(op.path.hasPrefix("/v1/callbacks/") ? ["400", "413"] : ["400", "413", "415", "422"])
      }
      if !noDatabase.contains(name) { required.insert("503") }
      // Citizen pages are rate-limited per client address.
      if op.path.hasPrefix("/pay/") || op.path.hasPrefix("/receipts/") { required.insert("429") }
      let lacking = required.subtracting(op.statuses)
      if !lacking.isEmpty { missing.append("\(name): \(lacking.sorted().joined(separator: ", "))") }
    }
    #expect(missing.isEmpty, "undeclared status codes:\n\(missing.joined(separator: "\n"))")
  }

  @Test func anUndeclaredMethodOnAKnownPathIs405WithAllow() async throws {
    try await withFeePay { world, client in
      let delete = try await client.send(.delete, "/v1/invoices/inv_01m8m63bv5esnr37d143yx2a25", key: world.portalKey)
      #expect(delete.status == .methodNotAllowed)
      #expect(delete.headers[.allow] == "GET, HEAD")
      #expect(delete.headers[.contentType] == "application/problem+json")
      #expect(delete.json["code"] == "method_not_allowed")
      let put = try await client.send(.put, "/v1/settlements")
      #expect(put.status == .methodNotAllowed)
      #expect(put.headers[.allow] == "POST")
      let callback = try await client.send(.delete, "/v1/callbacks/vcb")
      #expect(callback.headers[.allow] == "GET, HEAD, POST")
      // An unknown path stays 404, and HEAD answers wherever GET does.
      #expect(try await client.send(.delete, "/v1/nothing-here").status == .notFound)
      let head = try await client.send(.head, "/health/live")
      #expect(head.status == .ok)
      #expect(head.body.readableBytes == 0)
    }
  }
}
