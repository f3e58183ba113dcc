public import FeePayCore
public import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

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
        try refuseIfOthersMayRead(path)
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
    try? FileManager.default.createDirectory(at: dataRoot, withIntermediateDirectories: true)
    try createExclusively(file.path, contents: Array((SecretBox.generateMasterKey() + "\n").utf8))
    try refuseIfOthersMayRead(file.path)
    guard let data = FileManager.default.contents(atPath: file.path) else {
      throw FeePayError(.configuration, "cannot read \(file.path)")
    }
    do {
      return try SecretBox(base64: String(decoding: data, as: UTF8.self))
    } catch {
      throw FeePayError(.configuration, "\(file.path): \(error.description)")
    }
  }

  /// Creates `path` with mode 0600 from its first instant (`O_CREAT | O_EXCL`: never a
  /// moment readable by others, never over a file that exists) and writes `contents`; does
  /// nothing if the file exists.
  static func createExclusively(_ path: String, contents: [UInt8]) throws(FeePayError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    if fd < 0 {
      if errno == EEXIST { return }
      throw FeePayError(.configuration, "cannot create \(path) (errno \(errno))")
    }
    defer { close(fd) }
    let written = contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == contents.count, fsync(fd) == 0 else {
      unlink(path)
      throw FeePayError(.configuration, "cannot write \(path)")
    }
  }

  /// Refuses a key file that users other than its owner and group may read (mode `o+r`):
  /// `chmod 600` (or `640`) it. Its directory and owner are the operator's to keep safe.
  static func refuseIfOthersMayRead(_ path: String) throws(FeePayError) {
    var info = stat()
    guard stat(path, &info) == 0 else { throw FeePayError(.configuration, "cannot read \(path)") }
    let mode = info.st_mode & 0o777
    if mode & 0o007 != 0 {
      throw FeePayError(
        .configuration,
        "\(path) may be read by other users (mode \(String(mode, radix: 8))); it holds the master key: chmod 600 \(path)"
      )
    }
  }
}
