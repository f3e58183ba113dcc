/// An incremental RFC 4180 CSV reader: feed it bytes as they arrive, take complete records.
/// Quoted fields may hold the delimiter, doubled quotes and line breaks. Each record
/// carries the (1-based) line on which it starts.
public struct CSVReader: Sendable {
  public struct Record: Sendable {
    public var line: Int
    public var fields: [String]

    public init(line: Int, fields: [String]) {
      self.line = line
      self.fields = fields
    }
  }

  public struct Failure: Error, Sendable {
    public var line: Int
    public var reason: String
  }

  let delimiter: UInt8
  var field: [UInt8] = []
  var fields: [String] = []
  var inQuotes = false
  var quoteSeen = false
  var afterQuote = false
  var line = 1
  var recordLine = 1
  var pendingCR = false

  public init(delimiter: UInt8 = UInt8(ascii: ",")) { self.delimiter = delimiter }

  mutating func endField() throws(Failure) {
    guard let text = String(validating: field, as: UTF8.self) else {
      throw Failure(line: line, reason: "not valid UTF-8")
    }
    fields.append(text)
    field.removeAll(keepingCapacity: true)
    quoteSeen = false
    afterQuote = false
  }

  /// Consumes `bytes`; calls `emit` for each complete record.
  public mutating func feed(_ bytes: some Sequence<UInt8>, emit: (Record) throws -> Void) throws {
    // One concrete loop over contiguous memory: a generic one is not specialized across the
    // module boundary, and iterating through witness tables costs more than the parsing.
    if let done = try bytes.withContiguousStorageIfAvailable({ try feed(buffer: $0, emit: emit) }) { return done }
    try Array(bytes).withUnsafeBufferPointer { try feed(buffer: $0, emit: emit) }
  }

  mutating func feed(buffer bytes: UnsafeBufferPointer<UInt8>, emit: (Record) throws -> Void) throws {
    for b in bytes {
      if pendingCR {
        pendingCR = false
        if b == 0x0A { continue }
      }
      if inQuotes {
        if b == UInt8(ascii: "\"") {
          inQuotes = false
          afterQuote = true
        } else {
          if b == 0x0A { line += 1 }
          field.append(b)
        }
        continue
      }
      switch b {
      case UInt8(ascii: "\""):
        if afterQuote {
          field.append(b)  // a doubled quote inside a quoted field
          inQuotes = true
          afterQuote = false
        } else if field.isEmpty && !quoteSeen {
          inQuotes = true
          quoteSeen = true
        } else {
          throw Failure(line: line, reason: "a quote inside an unquoted field")
        }
      case delimiter:
        try endField()
      case 0x0A, 0x0D:
        try endField()
        let record = Record(line: recordLine, fields: fields)
        fields.removeAll(keepingCapacity: true)
        if b == 0x0D { pendingCR = true }
        line += 1
        recordLine = line
        if !(record.fields.count == 1 && record.fields[0].isEmpty) { try emit(record) }
      default:
        if afterQuote { throw Failure(line: line, reason: "text after a closing quote") }
        field.append(b)
      }
    }
  }

  /// Ends the input: a last record without a line break is emitted; an open quote is an error.
  public mutating func finish(emit: (Record) throws -> Void) throws {
    if inQuotes { throw Failure(line: recordLine, reason: "a quoted field is never closed") }
    if !field.isEmpty || !fields.isEmpty || quoteSeen {
      try endField()
      let record = Record(line: recordLine, fields: fields)
      fields.removeAll()
      try emit(record)
    }
  }
}
