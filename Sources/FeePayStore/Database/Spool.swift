public import FeePayCore
public import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// FeePay's own folder for files it keeps only while it works on them (a statement being
/// uploaded, the rows it loads with `COPY`): `FEEPAY_SPOOL_DIR`, by default
/// `FEEPAY_DATA_DIR/tmp`. The folder is created 0700, every file in it 0600 with `O_EXCL`
/// (never another's file, never readable by other users), and a full disk is an error the
/// request gets (`507`), never a trap that takes the server down with every callback in
/// flight (as `FileHandle.write` did).
public struct Spool: Sendable {
  public let directory: URL

  public init(directory: URL) { self.directory = directory }

  /// The error a write gets when the disk (or the process's file size limit) is full.
  public static let full = FeePayError(
    .insufficientStorage,
    "The server has no room to keep this file now; nothing was imported. Retry later, or tell the operator.")

  /// A new, empty file of the spool, open for writing.
  public func create(_ prefix: String) throws(FeePayError) -> SpoolFile {
    if mkdir(directory.path, 0o700) != 0 && errno != EEXIST {
      do {
        try FileManager.default.createDirectory(
          at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      } catch {
        throw FeePayError(.unavailable, "The spool folder \(directory.path) cannot be created.")
      }
    }
    let url = directory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      if errno == ENOSPC || errno == EDQUOT { throw Self.full }
      throw FeePayError(.unavailable, "A file cannot be created in the spool folder (errno \(errno)).")
    }
    return SpoolFile(url: url, descriptor: fd)
  }
}

/// One file of the ``Spool``, written through its descriptor. Not shared between tasks.
public final class SpoolFile {
  public let url: URL
  private var descriptor: Int32

  init(url: URL, descriptor: Int32) {
    self.url = url
    self.descriptor = descriptor
  }

  deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

  /// Writes all of `bytes`; a full disk (`ENOSPC`, `EDQUOT`, `EFBIG`) throws ``Spool/full``.
  public func write(_ bytes: UnsafeRawBufferPointer) throws(FeePayError) {
    var offset = 0
    while offset < bytes.count {
      let n = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        if errno == ENOSPC || errno == EDQUOT || errno == EFBIG { throw Spool.full }
        throw FeePayError(.unavailable, "A spool file cannot be written (errno \(errno)).")
      }
      offset += n
    }
  }

  public func write(_ data: Data) throws(FeePayError) {
    let failure: FeePayError? = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> FeePayError? in
      do throws(FeePayError) {
        try write(raw)
        return nil
      } catch {
        return error
      }
    }
    if let failure { throw failure }
  }

  public func write(_ bytes: some Sequence<UInt8>) throws(FeePayError) { try write(Data(bytes)) }

  /// Closes the file (it stays on disk until ``remove()``).
  public func close() throws(FeePayError) {
    guard descriptor >= 0 else { return }
    let result = Glibc.close(descriptor)
    descriptor = -1
    if result != 0 {
      if errno == ENOSPC || errno == EDQUOT { throw Spool.full }
      throw FeePayError(.unavailable, "A spool file cannot be closed (errno \(errno)).")
    }
  }

  /// Closes and deletes the file.
  public func remove() {
    try? close()
    unlink(url.path)
  }
}
