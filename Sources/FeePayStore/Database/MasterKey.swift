public import FeePayCore
public import Foundation

/// Finds the master key that seals stored secrets: `FEEPAY_MASTER_KEY` (base64), else the
/// file named by `FEEPAY_MASTER_KEY_FILE`, else — only with the embedded database — the
/// file `master.key` in the data folder, created with mode 0600 on first use. With an
/// external database one of the two variables is required, so that every instance uses the
/// same key and no instance invents its own.
public enum MasterKey {
  public static func load(environment: [String: String], dataRoot: URL?) throws(FeePayError) -> SecretBox {
    do {
      if let text = environment["FEEPAY_MASTER_KEY"] { return try SecretBox(base64: text) }
      if let path = environment["FEEPAY_MASTER_KEY_FILE"] {
        guard let data = FileManager.default.contents(atPath: path) else {
          throw FeePayError(.configuration, "cannot read FEEPAY_MASTER_KEY_FILE \(path)")
        }
        return try SecretBox(base64: String(decoding: data, as: UTF8.self))
      }
    } catch let error as SecretBox.Error {
      throw FeePayError(.configuration, "\(error.description) (FEEPAY_MASTER_KEY / FEEPAY_MASTER_KEY_FILE)")
    } catch let error as FeePayError {
      throw error
    } catch {
      throw FeePayError(.configuration, "cannot load the master key")
    }
    guard let dataRoot else {
      throw FeePayError(
        .configuration,
        "set FEEPAY_MASTER_KEY (32 random bytes in base64, e.g. `openssl rand -base64 32`) or FEEPAY_MASTER_KEY_FILE when DATABASE_URL is used"
      )
    }
    let file = dataRoot.appendingPathComponent("master.key")
    if !FileManager.default.fileExists(atPath: file.path) {
      try? FileManager.default.createDirectory(at: dataRoot, withIntermediateDirectories: true)
      let created = FileManager.default.createFile(
        atPath: file.path, contents: Data((SecretBox.generateMasterKey() + "\n").utf8),
        attributes: [.posixPermissions: 0o600])
      guard created else { throw FeePayError(.configuration, "cannot create \(file.path)") }
    }
    guard let data = FileManager.default.contents(atPath: file.path) else {
      throw FeePayError(.configuration, "cannot read \(file.path)")
    }
    do {
      return try SecretBox(base64: String(decoding: data, as: UTF8.self))
    } catch {
      throw FeePayError(.configuration, "\(file.path): \(error.description)")
    }
  }
}
