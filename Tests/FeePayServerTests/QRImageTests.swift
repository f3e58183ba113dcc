import FeePayCore
import Foundation
import Testing

@testable import FeePayServer

/// The QR encoder and its PNG file, read back by a real decoder (zbar's `zbarimg`): every
/// length from 1 to 300 bytes, bytes of every value included, decodes to the same bytes.
@Suite(.timeLimit(.minutes(5))) struct QRImageTests {
  /// Runs `zbarimg` in binary mode on `file`, reading QR codes only (its 1D decoders
  /// sometimes find a short barcode in a QR symbol's modules and print it too): the decoded
  /// bytes, exactly, or `nil`.
  static func decode(_ file: URL) throws -> [UInt8]? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["zbarimg", "--quiet", "--raw", "--nodbus", "-Sdisable", "-Sqrcode.enable", "-Sbinary", file.path]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { return nil }
    return Array(data)
  }

  static var canDecode: Bool {
    ReferenceClientTests.required || FileManager.default.isExecutableFile(atPath: "/usr/bin/zbarimg")
  }

  @Test(.enabled(if: canDecode)) func everyLengthFrom1To300BytesDecodesToTheSameBytes() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qr-lengths-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var random = SeededRandom()
    var failures: [Int] = []
    for length in 1...300 {
      // Printable text for odd lengths, any byte value for even ones (zbar's binary mode
      // hands back exactly what the symbol holds).
      let bytes: [UInt8] =
        length % 2 == 1
        ? (0..<length).map { _ in UInt8.random(in: 0x20...0x7E, using: &random) }
        : (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &random) }
      let code = try QRCode(bytes: bytes)
      let file = dir.appendingPathComponent("qr-\(length).png")
      try Data(QRImage.png(code, scale: 4)).write(to: file)
      guard let decoded = try Self.decode(file) else {
        failures.append(length)
        continue
      }
      // In binary mode zbar writes exactly the symbol's bytes (no newline of its own).
      if decoded != bytes {
        failures.append(length)
        // Kept for a person to look at (the seed printed above replays the whole run).
        try? Data(bytes).write(to: dir.deletingLastPathComponent().appendingPathComponent("qr-failed-\(length).bin"))
      }
    }
    #expect(failures.isEmpty, "lengths that did not decode to their bytes: \(failures)")
  }

  @Test(.enabled(if: canDecode)) func largeVersionsDecodeToo() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qr-large-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    for length in [600, 1200, 2331] {
      let bytes = Array(String(repeating: "FeePay 26.000 VND; ", count: length / 19 + 1).utf8.prefix(length))
      let code = try QRCode(bytes: bytes)
      let file = dir.appendingPathComponent("qr-\(length).png")
      try Data(QRImage.png(code, scale: 4)).write(to: file)
      let decoded = try #require(try Self.decode(file), "version \(code.version) did not decode")
      #expect(decoded == bytes, "version \(code.version)")
    }
  }

  @Test func thePNGIsWellFormed() throws {
    let png = QRImage.png(try QRCode(bytes: Array("FeePay".utf8)), scale: 2)
    #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    // IHDR: width = height = (21 + 8) × 2 = 58, bit depth 1, greyscale.
    #expect(Array(png[12..<16]) == Array("IHDR".utf8))
    #expect(Array(png[16..<24]) == [0, 0, 0, 58, 0, 0, 0, 58])
    #expect(png[24] == 1 && png[25] == 0)
    #expect(Array(png.suffix(8).prefix(4)) == Array("IEND".utf8))
    #expect(PNG.crc32(Array("IEND".utf8)) == 0xAE42_6082)
  }
}
