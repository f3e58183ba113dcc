import Crypto
import FeePayCore
import FeePayStore
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore

/// A statement file sent from the console: the upload form's `multipart/form-data` (fields
/// `connector`, `business_date` and the part `file`), or, from the page's script, the file
/// alone with the fields in the query string. The body streams to disk first, so a file of
/// hundreds of megabytes never sits in memory; the form's parts are then found in the file.
struct StatementUpload {
  var connector: String
  var day: BusinessDate
  var format: StatementImporter.Format
  var file: URL
  var sha256: String
  /// The statement file's size in bytes (what the parse stage counts up to).
  var size: Int64

  struct TooLarge: Error {}

  enum Refusal: String, Error {
    case noConnector = "no_connector"
    case noDay = "no_day"
    case noFile = "no_file"
    case format
    case malformed
  }

  /// Writes the request body into `file` (of the spool), at most `limit` bytes, and closes it.
  static func stream(_ body: RequestBody, to file: SpoolFile, limit: Int) async throws {
    var size = 0
    for try await buffer in body {
      size += buffer.readableBytes
      guard size <= limit else { throw TooLarge() }
      try buffer.withUnsafeReadableBytes { bytes throws(FeePayError) in try file.write(bytes) }
    }
    try file.close()
  }

  init(raw: URL, contentType: String, query: URI, spool: Spool) throws {
    let media = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    var fields: [String: String] = [:]
    var partType: String?
    var filename: String?
    if media == "multipart/form-data" {
      guard let boundary = Self.parameter("boundary", of: contentType) else { throw Refusal.malformed }
      let data = try Data(contentsOf: raw, options: .alwaysMapped)
      let delimiter = Data("--\(boundary)".utf8)
      var parts: [(headers: String, body: Range<Data.Index>)] = []
      guard var cursor = data.range(of: delimiter)?.upperBound else { throw Refusal.malformed }
      while true {
        // After a delimiter: "--" ends the body; otherwise CRLF, the part's headers, a blank line.
        if data[cursor...].starts(with: Data("--".utf8)) { break }
        guard let headersEnd = data.range(of: Data("\r\n\r\n".utf8), in: cursor..<data.endIndex),
          let next = data.range(of: Data("\r\n".utf8) + delimiter, in: headersEnd.upperBound..<data.endIndex)
        else { throw Refusal.malformed }
        parts.append(
          (
            String(decoding: data[cursor..<headersEnd.lowerBound], as: UTF8.self),
            headersEnd.upperBound..<next.lowerBound
          ))
        cursor = next.upperBound
      }
      var fileRange: Range<Data.Index>?
      for part in parts {
        let disposition =
          part.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-disposition:") }
          .map(String.init) ?? ""
        guard let name = Self.parameter("name", of: disposition) else { continue }
        if name == "file" {
          fileRange = part.body
          filename = Self.parameter("filename", of: disposition)
          partType = part.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-type:") }
            .map { $0.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces).lowercased() }
        } else if part.body.count <= 1000 {
          fields[name] = String(decoding: data[part.body], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
      }
      guard let fileRange, !fileRange.isEmpty else { throw Refusal.noFile }
      let out = try spool.create("upload-part")
      do {
        try out.write(data[fileRange])
        try out.close()
      } catch {
        out.remove()
        throw error
      }
      try? FileManager.default.removeItem(at: raw)
      file = out.url
    } else {
      for name in ["connector", "business_date", "format"] {
        if let value = query.queryParameters.get(name) { fields[name] = String(value) }
      }
      partType = media
      file = raw
    }
    guard let connector = fields["connector"], !connector.isEmpty else { throw Refusal.noConnector }
    guard let day = fields["business_date"].flatMap(BusinessDate.init) else { throw Refusal.noDay }
    self.connector = connector
    self.day = day
    let ext = filename.map { ($0 as NSString).pathExtension.lowercased() }
    switch (fields["format"], partType, ext) {
    case ("csv", _, _), (_, "text/csv", _), (_, "application/csv", _), (_, _, "csv"): format = .csv
    case ("camt", _, _), (_, "application/xml", _), (_, "text/xml", _), (_, _, "xml"): format = .camt
    default: throw Refusal.format
    }
    sha256 = try StatementImporter.sha256(of: file)
    size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64) ?? 0
  }

  /// Removes what an upload wrote: the request body, or the file part cut out of it.
  static func remove(_ file: URL) {
    try? FileManager.default.removeItem(at: file)
  }

  /// `name="value"` (or `name=value`) in a header's parameters.
  static func parameter(_ name: String, of header: String) -> String? {
    for item in header.split(separator: ";").dropFirst() {
      let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      guard pair.count == 2, pair[0].lowercased() == name else { continue }
      var value = pair[1]
      if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
      return value
    }
    return nil
  }
}

/// What the upload script reads while a statement is imported: one JSON object per line, each
/// sent as the server reaches the stage, so that the page shows the file being read (with its
/// percentage), then matched, then the summary's address or the reason for a refusal:
///
///     {"stage":"parse","percent":40}
///     {"stage":"match","lines":1000000}
///     {"stage":"done","location":"/console/statements/stl_…"}   or   {"error":"…"}
///
/// A refusal before the import starts (too large, not a statement form) is one line with its
/// own status code.
enum UploadStages {
  enum Event: Sendable {
    case parse(read: Int64, of: Int64)
    case match(lines: Int)
    case done(location: String)
    case refused(String)

    var json: JSONValue {
      switch self {
      case .parse(let read, let size):
        ["stage": "parse", "percent": .integer(size > 0 ? min(100, read * 100 / size) : 100)]
      case .match(let lines): ["stage": "match", "lines": .integer(Int64(lines))]
      case .done(let location): ["stage": "done", "location": .string(location)]
      case .refused(let message): ["error": .string(message)]
      }
    }
  }

  static var headers: HTTPFields {
    var headers = HTTPFields()
    headers[.contentType] = "application/x-ndjson; charset=utf-8"
    headers[.cacheControl] = "no-store"
    return headers
  }

  static func refusal(_ message: String, status: HTTPResponse.Status) -> Response {
    Response(
      status: status, headers: headers,
      body: .init(byteBuffer: ByteBuffer(string: Event.refused(message).json.jsonText + "\n")))
  }

  /// A `200` whose body is written while `work` runs: each event it emits becomes a line
  /// (the parse stage only when its percentage moves). If the browser goes away the import
  /// still finishes: it is one transaction either way.
  static func response(_ work: @escaping @Sendable (_ emit: @escaping @Sendable (Event) -> Void) async -> Void)
    -> Response
  {
    Response(
      status: .ok, headers: headers,
      body: ResponseBody { writer in
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        let task = Task {
          await work { sink.yield($0) }
          sink.finish()
        }
        var percent: Int64 = -1
        for await event in events {
          if case .parse = event, let p = event.json["percent"]?.intValue {
            guard p > percent else { continue }
            percent = p
          }
          try await writer.write(ByteBuffer(string: event.json.jsonText + "\n"))
        }
        await task.value
        try await writer.finish(nil)
      })
  }
}
