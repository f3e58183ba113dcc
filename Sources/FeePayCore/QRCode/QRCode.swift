/// A QR code symbol (ISO/IEC 18004:2015) holding bytes in byte mode.
///
/// The encoder picks the smallest version (1–40) whose capacity at the chosen error correction
/// level holds the bytes, places the function patterns, the interleaved data and Reed–Solomon
/// codewords, and applies the mask (of the eight) with the lowest penalty by the standard's
/// four rules (section 7.8.3). It follows the structure of Project Nayuki's reference encoder,
/// whose output it is tested against module for module.
public struct QRCode: Sendable, Equatable {
  /// The error correction level: the share of codewords that may be lost and recovered.
  public enum ErrorCorrection: Int, Sendable, CaseIterable {
    /// About 7 %.
    case low
    /// About 15 %: what FeePay prints.
    case medium
    /// About 25 %.
    case quartile
    /// About 30 %.
    case high

    /// The two bits the format information carries (table 12).
    var formatBits: Int {
      switch self {
      case .low: 1
      case .medium: 0
      case .quartile: 3
      case .high: 2
      }
    }
  }

  /// The bytes do not fit in a version 40 symbol at the chosen level.
  public struct TooLong: Error, Sendable, Equatable {
    public let byteCount: Int
    public let capacity: Int

    public init(byteCount: Int, capacity: Int) {
      self.byteCount = byteCount
      self.capacity = capacity
    }
  }

  /// 1 to 40.
  public let version: Int
  public let errorCorrection: ErrorCorrection
  /// 0 to 7, the mask pattern applied.
  public let mask: Int
  /// Modules per side: 17 + 4 × version.
  public let size: Int
  /// Row-major, `true` for a dark module.
  private let modules: [Bool]

  /// Whether the module at column `x`, row `y` (from the top left, without quiet zone) is dark.
  public subscript(x: Int, y: Int) -> Bool {
    modules[y * size + x]
  }

  /// The symbol for `bytes` at `errorCorrection`, in the smallest version that holds them,
  /// with the best-scoring mask unless `mask` forces one.
  public init(
    bytes: some Collection<UInt8>, errorCorrection: ErrorCorrection = .medium, mask forcedMask: Int? = nil
  ) throws(TooLong) {
    let data = Array(bytes)
    guard let version = Self.smallestVersion(holding: data.count, at: errorCorrection) else {
      throw TooLong(byteCount: data.count, capacity: Self.byteCapacity(version: 40, errorCorrection))
    }
    precondition(forcedMask.map { (0..<8).contains($0) } ?? true, "a QR mask is 0 to 7")
    var matrix = Matrix(version: version)
    matrix.drawFunctionPatterns(errorCorrection)
    matrix.drawCodewords(Self.codewords(data, version: version, errorCorrection))
    let scores = (0..<8).map { matrix.penalty(masked: $0, errorCorrection) }
    let mask = forcedMask ?? scores.indices.min { scores[$0] < scores[$1] }!
    matrix.applyMask(mask)
    matrix.drawFormatBits(errorCorrection, mask: mask)
    self.version = version
    self.errorCorrection = errorCorrection
    self.mask = mask
    self.size = matrix.size
    self.modules = matrix.dark
  }

  /// The number of bytes a symbol of `version` holds at `errorCorrection` in byte mode.
  public static func byteCapacity(version: Int, _ errorCorrection: ErrorCorrection) -> Int {
    (dataCodewords(version, errorCorrection) * 8 - 4 - countBits(version)) / 8
  }

  static func smallestVersion(holding count: Int, at level: ErrorCorrection) -> Int? {
    (1...40).first { byteCapacity(version: $0, level) >= count }
  }

  /// The character count indicator's length in byte mode (table 3).
  static func countBits(_ version: Int) -> Int { version <= 9 ? 8 : 16 }

  // MARK: - Codewords

  /// The data codewords (mode, count, bytes, terminator, padding) split into blocks, each
  /// followed by its Reed–Solomon codewords, interleaved (section 7.6).
  static func codewords(_ data: [UInt8], version: Int, _ level: ErrorCorrection) -> [UInt8] {
    let capacity = dataCodewords(version, level)
    var bits = BitBuffer()
    bits.append(0b0100, count: 4)
    bits.append(data.count, count: countBits(version))
    for byte in data { bits.append(Int(byte), count: 8) }
    bits.append(0, count: min(4, capacity * 8 - bits.count))
    bits.append(0, count: (8 - bits.count % 8) % 8)
    var codewords = bits.bytes
    var pad: UInt8 = 0xEC
    while codewords.count < capacity {
      codewords.append(pad)
      pad ^= 0xEC ^ 0x11
    }

    let blockCount = Tables.blocks[level.rawValue][version]
    let eccLength = Tables.eccPerBlock[level.rawValue][version]
    let rawCodewords = rawDataModules(version) / 8
    let shortBlocks = blockCount - rawCodewords % blockCount
    let shortLength = rawCodewords / blockCount
    let divisor = ReedSolomon.divisor(degree: eccLength)
    var blocks: [[UInt8]] = []
    var start = 0
    for i in 0..<blockCount {
      let length = shortLength - eccLength + (i < shortBlocks ? 0 : 1)
      var block = Array(codewords[start..<start + length])
      start += length
      let ecc = ReedSolomon.remainder(block, divisor: divisor)
      if i < shortBlocks { block.append(0) }
      blocks.append(block + ecc)
    }
    var result: [UInt8] = []
    result.reserveCapacity(rawCodewords)
    for i in 0..<blocks[0].count {
      for (j, block) in blocks.enumerated() where i != shortLength - eccLength || j >= shortBlocks {
        result.append(block[i])
      }
    }
    return result
  }

  /// Modules left for data and error correction once the function patterns and format and
  /// version information are placed, remainder bits included.
  static func rawDataModules(_ version: Int) -> Int {
    var result = (16 * version + 128) * version + 64
    if version >= 2 {
      let alignments = version / 7 + 2
      result -= (25 * alignments - 10) * alignments - 55
      if version >= 7 { result -= 36 }
    }
    return result
  }

  static func dataCodewords(_ version: Int, _ level: ErrorCorrection) -> Int {
    rawDataModules(version) / 8 - Tables.eccPerBlock[level.rawValue][version]
      * Tables.blocks[level.rawValue][version]
  }
}

// MARK: - Placement

extension QRCode {
  /// The symbol while it is drawn: modules and which of them belong to function patterns.
  struct Matrix {
    let version: Int
    let size: Int
    var dark: [Bool]
    var isFunction: [Bool]

    init(version: Int) {
      self.version = version
      size = 17 + 4 * version
      dark = Array(repeating: false, count: size * size)
      isFunction = Array(repeating: false, count: size * size)
    }

    subscript(x: Int, y: Int) -> Bool { dark[y * size + x] }

    mutating func setFunction(_ x: Int, _ y: Int, _ isDark: Bool) {
      dark[y * size + x] = isDark
      isFunction[y * size + x] = true
    }

    mutating func drawFunctionPatterns(_ level: ErrorCorrection) {
      for i in 0..<size {
        setFunction(6, i, i % 2 == 0)
        setFunction(i, 6, i % 2 == 0)
      }
      drawFinder(3, 3)
      drawFinder(size - 4, 3)
      drawFinder(3, size - 4)
      let positions = alignmentPositions
      let last = positions.count - 1
      for (i, x) in positions.enumerated() {
        for (j, y) in positions.enumerated()
        where !((i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0)) {
          drawAlignment(x, y)
        }
      }
      drawFormatBits(level, mask: 0)  // reserves the area; redrawn once the mask is chosen
      drawVersion()
    }

    mutating func drawFinder(_ x: Int, _ y: Int) {
      for dy in -4...4 {
        for dx in -4...4 {
          let distance = max(abs(dx), abs(dy))
          let (xx, yy) = (x + dx, y + dy)
          if (0..<size).contains(xx) && (0..<size).contains(yy) {
            setFunction(xx, yy, distance != 2 && distance != 4)
          }
        }
      }
    }

    mutating func drawAlignment(_ x: Int, _ y: Int) {
      for dy in -2...2 {
        for dx in -2...2 { setFunction(x + dx, y + dy, max(abs(dx), abs(dy)) != 1) }
      }
    }

    /// The centres of the alignment patterns along each axis (annex E).
    var alignmentPositions: [Int] {
      guard version > 1 else { return [] }
      let count = version / 7 + 2
      let step = (version * 8 + count * 3 + 5) / (count * 4 - 4) * 2
      return [6] + (0..<count - 1).map { size - 7 - $0 * step }.reversed()
    }

    /// The 15 format bits (level and mask, BCH(15,5), masked with 0x5412), twice.
    mutating func drawFormatBits(_ level: ErrorCorrection, mask: Int) {
      let data = level.formatBits << 3 | mask
      var remainder = data
      for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
      let bits = (data << 10 | remainder) ^ 0x5412
      func bit(_ i: Int) -> Bool { (bits >> i) & 1 != 0 }
      for i in 0...5 { setFunction(8, i, bit(i)) }
      setFunction(8, 7, bit(6))
      setFunction(8, 8, bit(7))
      setFunction(7, 8, bit(8))
      for i in 9..<15 { setFunction(14 - i, 8, bit(i)) }
      for i in 0..<8 { setFunction(size - 1 - i, 8, bit(i)) }
      for i in 8..<15 { setFunction(8, size - 15 + i, bit(i)) }
      setFunction(8, size - 8, true)  // the dark module
    }

    /// The 18 version bits (BCH(18,6)), twice, from version 7 on.
    mutating func drawVersion() {
      guard version >= 7 else { return }
      var remainder = version
      for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
      let bits = version << 12 | remainder
      for i in 0..<18 {
        let isDark = (bits >> i) & 1 != 0
        let (a, b) = (size - 11 + i % 3, i / 3)
        setFunction(a, b, isDark)
        setFunction(b, a, isDark)
      }
    }

    /// Data in two-module columns from the bottom right, zigzagging up and down (7.7.3).
    mutating func drawCodewords(_ codewords: [UInt8]) {
      var i = 0
      var right = size - 1
      while right >= 1 {
        if right == 6 { right = 5 }
        for vertical in 0..<size {
          for j in 0..<2 {
            let x = right - j
            let upward = (right + 1) & 2 == 0
            let y = upward ? size - 1 - vertical : vertical
            if !isFunction[y * size + x] && i < codewords.count * 8 {
              dark[y * size + x] = (codewords[i >> 3] >> (7 - (i & 7))) & 1 != 0
              i += 1
            }
          }
        }
        right -= 2
      }
    }

    /// Inverts the data modules where the mask's condition holds (table 10); applying it twice
    /// undoes it.
    mutating func applyMask(_ mask: Int) {
      for y in 0..<size {
        for x in 0..<size where !isFunction[y * size + x] {
          let invert: Bool
          switch mask {
          case 0: invert = (x + y) % 2 == 0
          case 1: invert = y % 2 == 0
          case 2: invert = x % 3 == 0
          case 3: invert = (x + y) % 3 == 0
          case 4: invert = (x / 3 + y / 2) % 2 == 0
          case 5: invert = x * y % 2 + x * y % 3 == 0
          case 6: invert = (x * y % 2 + x * y % 3) % 2 == 0
          default: invert = ((x + y) % 2 + x * y % 3) % 2 == 0
          }
          if invert { dark[y * size + x].toggle() }
        }
      }
    }

    /// The penalty of the symbol with `mask` applied and its format bits drawn.
    func penalty(masked mask: Int, _ level: ErrorCorrection) -> Int {
      var candidate = self
      candidate.applyMask(mask)
      candidate.drawFormatBits(level, mask: mask)
      return candidate.penalty
    }

    /// The four penalty rules of section 7.8.3: runs of five or more, 2×2 blocks, finder-like
    /// 1:1:3:1:1 patterns with four light modules on a side, and the dark/light balance.
    var penalty: Int {
      var result = 0
      for transposed in [false, true] {
        for a in 0..<size {
          var runColor = false
          var runLength = 0
          var history = FinderHistory(size: size)
          for b in 0..<size {
            let color = transposed ? self[a, b] : self[b, a]
            if color == runColor {
              runLength += 1
              if runLength == 5 { result += 3 } else if runLength > 5 { result += 1 }
            } else {
              history.add(runLength)
              if !runColor { result += history.finderLikePatterns * 40 }
              runColor = color
              runLength = 1
            }
          }
          result += history.terminate(color: runColor, length: runLength) * 40
        }
      }
      for y in 0..<size - 1 {
        for x in 0..<size - 1 {
          let color = self[x, y]
          if color == self[x + 1, y] && color == self[x, y + 1] && color == self[x + 1, y + 1] { result += 3 }
        }
      }
      let darkCount = dark.reduce(0) { $0 + ($1 ? 1 : 0) }
      let total = size * size
      let k = (abs(darkCount * 20 - total * 10) + total - 1) / total - 1
      return result + k * 10
    }
  }

  /// The lengths of the last seven runs in a row or column, for the finder-like rule.
  struct FinderHistory {
    let size: Int
    var runs = [Int](repeating: 0, count: 7)

    init(size: Int) { self.size = size }

    mutating func add(_ length: Int) {
      // The light quiet zone before the row counts as part of its first run.
      let length = runs[0] == 0 ? length + size : length
      runs.removeLast()
      runs.insert(length, at: 0)
    }

    /// 0, 1 or 2: a 1:1:3:1:1 dark–light pattern with at least four light modules before or after.
    var finderLikePatterns: Int {
      let n = runs[1]
      let core = n > 0 && runs[2] == n && runs[3] == n * 3 && runs[4] == n && runs[5] == n
      return (core && runs[0] >= n * 4 && runs[6] >= n ? 1 : 0) + (core && runs[6] >= n * 4 && runs[0] >= n ? 1 : 0)
    }

    /// Ends the row: closes a dark run, adds the light quiet zone after it, and counts.
    mutating func terminate(color: Bool, length: Int) -> Int {
      var length = length
      if color {
        add(length)
        length = 0
      }
      add(length + size)
      return finderLikePatterns
    }
  }

  struct BitBuffer {
    private(set) var bits: [Bool] = []
    var count: Int { bits.count }

    mutating func append(_ value: Int, count: Int) {
      for i in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> i) & 1 != 0) }
    }

    var bytes: [UInt8] {
      stride(from: 0, to: bits.count, by: 8).map { start in
        bits[start..<start + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
      }
    }
  }

  /// Reed–Solomon error correction over GF(2⁸) with the polynomial x⁸ + x⁴ + x³ + x² + 1.
  enum ReedSolomon {
    static func divisor(degree: Int) -> [UInt8] {
      var result = [UInt8](repeating: 0, count: degree)
      result[degree - 1] = 1
      var root: UInt8 = 1
      for _ in 0..<degree {
        for j in 0..<degree {
          result[j] = multiply(result[j], root)
          if j + 1 < degree { result[j] ^= result[j + 1] }
        }
        root = multiply(root, 0x02)
      }
      return result
    }

    static func remainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
      var result = [UInt8](repeating: 0, count: divisor.count)
      for byte in data {
        let factor = byte ^ result.removeFirst()
        result.append(0)
        for i in result.indices { result[i] ^= multiply(divisor[i], factor) }
      }
      return result
    }

    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
      var z = 0
      for i in stride(from: 7, through: 0, by: -1) {
        z = (z << 1) ^ ((z >> 7) * 0x11D)
        z ^= Int((y >> UInt8(i)) & 1) * Int(x)
      }
      return UInt8(z)
    }
  }

  /// Table 9 of ISO/IEC 18004, by level (L, M, Q, H) and version (index 0 unused).
  enum Tables {
    static let eccPerBlock: [[Int]] = [
      [
        -1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30,
        30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
      ],
      [
        -1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28,
        28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
      ],
      [
        -1, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30,
        30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
      ],
      [
        -1, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30,
        30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
      ],
    ]
    static let blocks: [[Int]] = [
      [
        -1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18,
        19, 19, 20, 21, 22, 24, 25,
      ],
      [
        -1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29,
        31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
      ],
      [
        -1, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40,
        43, 45, 48, 51, 53, 56, 59, 62, 65, 68,
      ],
      [
        -1, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45,
        48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81,
      ],
    ]
  }
}
