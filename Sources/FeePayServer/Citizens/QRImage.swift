import FeePayCore
import Foundation

/// A QR code drawn for people: an SVG for pages and a PNG file for banking apps' "scan from
/// image", each with the quiet zone of four light modules the standard requires.
enum QRImage {
  static let quietZone = 4

  /// An SVG of `text`'s UTF-8 bytes at error correction M, or `nil` if they do not fit.
  /// `label` becomes the image's accessible name.
  static func svg(_ text: String, moduleSize: Int = 4, label: String) -> String? {
    guard let code = try? QRCode(bytes: Array(text.utf8)) else { return nil }
    return svg(code, moduleSize: moduleSize, label: label)
  }

  static func svg(_ code: QRCode, moduleSize: Int, label: String) -> String {
    let size = (code.size + 2 * quietZone) * moduleSize
    var path = ""
    for y in 0..<code.size {
      var x = 0
      while x < code.size {
        guard code[x, y] else {
          x += 1
          continue
        }
        var run = 1
        while x + run < code.size && code[x + run, y] { run += 1 }
        path += "M\(x + quietZone) \(y + quietZone)h\(run)v1h-\(run)z"
        x += run
      }
    }
    return """
      <svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="\(htmlEscaped(label))" width="\(size)" \
      height="\(size)" viewBox="0 0 \(code.size + 2 * quietZone) \(code.size + 2 * quietZone)" \
      shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
      """
  }

  static func htmlEscaped(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }

  /// A one-bit greyscale PNG of the code, `scale` pixels per module.
  static func png(_ code: QRCode, scale: Int = 8) -> [UInt8] {
    let side = (code.size + 2 * quietZone) * scale
    let rowBytes = (side + 7) / 8
    var raw: [UInt8] = []
    raw.reserveCapacity((rowBytes + 1) * side)
    for py in 0..<side {
      raw.append(0)  // filter: none
      var row = [UInt8](repeating: 0xFF, count: rowBytes)
      let y = py / scale - quietZone
      if (0..<code.size).contains(y) {
        for px in 0..<side {
          let x = px / scale - quietZone
          if (0..<code.size).contains(x) && code[x, y] { row[px / 8] &= ~(0x80 >> UInt8(px % 8)) }
        }
      }
      raw += row
    }
    return PNG.grayscale1Bit(width: side, height: side, scanlines: raw)
  }
}

/// The smallest PNG writer that is still a valid PNG (ISO/IEC 15948): one IDAT of stored
/// (uncompressed) deflate blocks. A QR image is a few tens of kilobytes; compressing it is not
/// worth a dependency.
enum PNG {
  static func grayscale1Bit(width: Int, height: Int, scanlines: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    var header: [UInt8] = []
    header += bigEndian(UInt32(width))
    header += bigEndian(UInt32(height))
    header += [1, 0, 0, 0, 0]  // bit depth 1, greyscale, deflate, adaptive filtering, no interlace
    chunk("IHDR", header, into: &out)
    chunk("IDAT", zlibStored(scanlines), into: &out)
    chunk("IEND", [], into: &out)
    return out
  }

  static func chunk(_ type: String, _ data: [UInt8], into out: inout [UInt8]) {
    let typed = Array(type.utf8) + data
    out += bigEndian(UInt32(data.count))
    out += typed
    out += bigEndian(crc32(typed))
  }

  static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var start = 0
    repeat {
      let length = min(65535, data.count - start)
      let final: UInt8 = start + length == data.count ? 1 : 0
      out += [final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
      out += data[start..<start + length]
      start += length
    } while start < data.count
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in data {
      a = (a + UInt32(byte)) % 65521
      b = (b + a) % 65521
    }
    return out + bigEndian(b << 16 | a)
  }

  static let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  static func crc32(_ data: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for byte in data { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }

  static func bigEndian(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
  }
}
