import AsyncHTTPClient
import FeePayCore
import Foundation
import NIOCore
import NIOHTTP1

/// The command line's own HTTP calls (`healthcheck`, `bank simulate`, `demo`) to a running
/// FeePay, over async-http-client's shared client.
struct CommandHTTPClient {
  var timeout: TimeAmount = .seconds(15)

  struct Answer {
    var status: Int
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
  }

  /// Sends one request; a FeePay that cannot be reached is `unavailable`.
  func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil)
    async throws -> Answer
  {
    guard URL(string: url)?.host != nil else { throw FeePayError(.validationFailed, "--url is not a URL: \(url)") }
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
    do {
      let response = try await HTTPClient.shared.execute(request, timeout: timeout)
      let bytes = try await response.body.collect(upTo: 16 << 20)
      return Answer(status: Int(response.status.code), body: Array(bytes.readableBytesView))
    } catch {
      throw FeePayError(.unavailable, "cannot reach FeePay at \(url); start it with `feepay serve`")
    }
  }
}
