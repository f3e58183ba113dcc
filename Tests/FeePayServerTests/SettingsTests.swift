import Foundation
import Testing

/// The environment variables FeePay reads: one table in the code, the README's table, and
/// a start that refuses every bad value with a line of its own.
@Suite(.timeLimit(.minutes(5))) struct SettingsTests {
  @Test func theReadmeTableIsTheOneTheCodeReads() throws {
    let printed = try CommandLineTests.run(["settings"], environment: [:])
    #expect(printed.status == 0)
    let table = printed.stdout.trimmingCharacters(in: .newlines)
    #expect(table.split(separator: "\n").count > 15, "the table is empty")
    let readme = try String(
      contentsOf: TestEnvironment.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    #expect(readme.contains(table), "README.md's variable table differs from `feepay settings`: paste its output")
  }

  @Test func everyBadValueIsRefusedByNameBeforeAnythingStarts() throws {
    let data = FileManager.default.temporaryDirectory.appendingPathComponent("feepay-settings-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: data) }
    let refused = try CommandLineTests.run(
      ["serve", "--port", "1"],
      environment: [
        "FEEPAY_DATA_DIR": data.path, "FEEPAY_CACHE_SECONDS": "99", "FEEPAY_PAYMENT_CODE_PREFIX": "IL",
        "FEEPAY_DB_POOL_SIZE": "lots", "LOG_LEVEL": "chatty", "FEEPAY_WEBHOOK_RETRY_SCHEDULE": "soon",
        "FEEPAY_CONSOLE_HSTS": "forever", "FEEPAY_CONSOLE_BCRYPT_COST": "9",
      ])
    #expect(refused.status != 0)
    for variable in [
      "FEEPAY_CACHE_SECONDS must be 0-60", "FEEPAY_PAYMENT_CODE_PREFIX must be", "FEEPAY_DB_POOL_SIZE must be 1-200",
      "LOG_LEVEL must be one of", "FEEPAY_WEBHOOK_RETRY_SCHEDULE must look like",
      "FEEPAY_CONSOLE_HSTS must start with max-age=", "FEEPAY_CONSOLE_BCRYPT_COST must be 10-16",
    ] {
      #expect(refused.stderr.contains(variable), "\(variable) not named in: \(refused.stderr)")
    }
    #expect(refused.stderr.split(separator: "\n").count >= 7, "one line per bad variable")
    // Nothing started: no embedded cluster was made in the data folder.
    #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("postgres").path))
  }
}
