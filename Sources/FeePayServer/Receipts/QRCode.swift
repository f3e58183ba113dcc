import CQRencode

/// QR codes as SVG, encoded by libqrencode (error correction level M, 8-bit mode, quiet
/// zone of four modules).
enum QRCode {
  /// An SVG of `text`, or `nil` if it does not fit in a QR code.
  static func svg(_ text: String, moduleSize: Int = 4) -> String? {
    guard let code = text.withCString({ QRcode_encodeString8bit($0, 0, QR_ECLEVEL_M) }) else { return nil }
    defer { QRcode_free(code) }
    let width = Int(code.pointee.width)
    let quiet = 4
    let size = (width + 2 * quiet) * moduleSize
    var path = ""
    for y in 0..<width {
      for x in 0..<width where code.pointee.data[y * width + x] & 1 == 1 {
        path += "M\((x + quiet) * moduleSize),\((y + quiet) * moduleSize)h\(moduleSize)v\(moduleSize)h-\(moduleSize)z"
      }
    }
    return """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(size)" height="\(size)" viewBox="0 0 \(size) \(size)" \
      shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
      """
  }
}
