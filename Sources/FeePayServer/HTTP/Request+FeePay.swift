import FeePayCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension Request {
  /// The bearer token of `Authorization`, if any.
  var bearerToken: String? {
    guard let value = headers[.authorization] else { return nil }
    let parts = value.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
    return String(parts[1]).trimmingSpaces
  }

  /// Reads a JSON body of at most `limit` bytes: `415` unless the content type is JSON,
  /// `413` past the limit.
  mutating func jsonBody(limit: Int) async throws -> [UInt8] {
    let type = headers[.contentType]?.lowercased() ?? ""
    let mediaType = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    guard mediaType == "application/json" else {
      throw FeePayError(.unsupportedMediaType, "Send the body as application/json.")
    }
    if let length = headers[.contentLength].flatMap({ Int($0) }), length > limit {
      throw FeePayError(.payloadTooLarge, "The request body is larger than \(limit) bytes.")
    }
    do {
      let buffer = try await body.collect(upTo: limit)
      return Array(buffer.readableBytesView)
    } catch let error as HTTPError where error.status == .contentTooLarge {
      throw FeePayError(.payloadTooLarge, "The request body is larger than \(limit) bytes.")
    }
  }
}

extension Response {
  /// A JSON response with the bytes as they are.
  static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
    var headers = extra
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
  }

  /// A JSON response of an API object, written by FeePay's one JSON writer.
  static func encoded(_ value: some APIObject, status: HTTPResponse.Status = .ok) -> Response {
    json(value.json.jsonBytes, status: status)
  }
}

/// A value the API answers as JSON. Each has exactly one definition of its JSON (`json`),
/// next to the routes that answer it, written by FeePay's one writer (`JSONValue.jsonBytes`).
protocol APIObject {
  var json: JSONValue { get }
}

extension JSONValue: APIObject {
  var json: JSONValue { self }
}

extension InvoiceObject: APIObject {
  var json: JSONValue { jsonValue }
}

extension PaymentException: APIObject {
  var json: JSONValue { jsonValue }
}

/// A page of a list: `{"data": [...], "next_cursor": "…" | null}`.
struct Page<Item: APIObject>: APIObject {
  var data: [Item]
  var nextCursor: String?

  var json: JSONValue {
    ["data": .array(data.map(\.json)), "next_cursor": nextCursor.map(JSONValue.string) ?? .null]
  }
}

/// Opaque list cursors: base64url of a version tag and the last id of the page.
enum Cursor {
  static func make(after id: String) -> String { Base64URL.encode(Array("c1:\(id)".utf8)) }

  static func read(_ text: String) -> String? {
    guard let bytes = Base64URL.decode(text) else { return nil }
    let value = String(decoding: bytes, as: UTF8.self)
    guard value.hasPrefix("c1:") else { return nil }
    return String(value.dropFirst(3))
  }

  /// The `cursor` query parameter of a list, turned back into the position it was made from
  /// (`convert`: the id's type); a cursor this API did not issue is a field error.
  static func after<Position>(
    _ text: String?, errors: inout [FieldError], as convert: (String) -> Position?
  ) -> Position? {
    guard let text else { return nil }
    guard let position = read(text).flatMap(convert) else {
      errors.append(FieldError(parameter: "cursor", "is not a cursor this API returned"))
      return nil
    }
    return position
  }

  /// The `limit` query parameter of a list: 1-100, 50 when absent; anything else is a field
  /// error.
  static func limit(_ text: String?, errors: inout [FieldError]) -> Int {
    guard let text else { return 50 }
    guard let n = Int(text), (1...100).contains(n) else {
      errors.append(FieldError(parameter: "limit", "must be an integer from 1 to 100"))
      return 50
    }
    return n
  }
}
