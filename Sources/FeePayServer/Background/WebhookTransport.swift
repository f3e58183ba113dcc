import AsyncHTTPClient
import FeePayCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Sends one webhook so that it cannot be turned inward.
///
/// At every send the host is looked up, and unless private targets are allowed every
/// address it has must be ``AddressScope/global``. The request then goes to the first of those
/// checked addresses and no other: the client is built for this one send with
/// async-http-client's `dnsOverride` pinning the host to it (TLS still verifies the host's
/// name), so a DNS answer that changes between the check and the connection (rebinding) is
/// never used. Redirects are never followed: a 3xx is the portal's answer, recorded as a
/// failure. The cost is one new connection per delivery, which webhooks can afford.
public struct WebhookTransport: Sendable {
  let allowPrivate: Bool

  public init(allowPrivate: Bool) { self.allowPrivate = allowPrivate }

  /// Why a send was not made: the URL or an address it resolves to is not allowed, or the
  /// host has no address now (`unresolved`).
  public struct Refused: Error, CustomStringConvertible {
    public var reason: String
    public var unresolved = false
    public var description: String { "refused: \(reason)" }
  }

  /// The check `feepay portal add` makes before it stores a webhook URL: the reason it is
  /// refused, or nil. A host that resolves to nothing yet passes (DNS may come later; every
  /// send checks again) and is reported through `unresolved`.
  public func refusal(of url: String, unresolved: (String) -> Void = { _ in }) async -> String? {
    do {
      _ = try await target(of: url)
      return nil
    } catch let error as Refused where error.unresolved {
      unresolved(error.reason)
      return nil
    } catch let error as Refused {
      return error.reason
    } catch {
      return "\(error)"
    }
  }

  /// Where a URL may be sent: the host and the address it is pinned to.
  struct Target: Sendable, Equatable {
    var host: String
    var address: String
  }

  /// Resolves and checks `url`; throws ``Refused`` when it may not be sent to.
  func target(of url: String) async throws -> Target {
    if let refusal = OutboundURL.webhookRefusal(url, allowPrivate: allowPrivate) { throw Refused(reason: refusal) }
    guard let host = OutboundURL.host(of: url) else { throw Refused(reason: "webhook URL has no host") }
    let addresses = try await Self.resolve(host)
    guard let first = addresses.first else { throw Refused(reason: "\(host) has no address", unresolved: true) }
    if !allowPrivate {
      for address in addresses {
        let scope = NetworkAddress.scope(of: address.bytes) ?? .reserved
        if scope != .global {
          throw Refused(reason: "\(host) resolves to \(address.text), a \(scope.rawValue) address")
        }
      }
    }
    return Target(host: host, address: first.text)
  }

  /// Posts `request` to its checked, pinned address, never following a redirect, and
  /// answers the status, the headers and at most 64 KiB of the body (read and dropped).
  func send(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> (Int, HTTPHeaders) {
    let target = try await target(of: request.url)
    var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
    configuration.dnsOverride = [target.host: target.address]
    let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    do {
      let response = try await client.execute(request, timeout: timeout)
      _ = try? await response.body.collect(upTo: 64 * 1024)
      try? await client.shutdown()
      return (Int(response.status.code), response.headers)
    } catch {
      try? await client.shutdown()
      throw error
    }
  }

  struct Address: Sendable {
    var text: String
    var bytes: [UInt8]
  }

  /// The host's addresses, in the resolver's order (`getaddrinfo` on NIO's thread pool, so
  /// no task thread blocks). An IP literal answers itself, in every spelling the system's
  /// own resolver accepts (`2130706433`, `0x7f.1`), which is why literals are not parsed here.
  static func resolve(_ host: String) async throws -> [Address] {
    try await NIOThreadPool.singleton.runIfActive {
      var hints = addrinfo()
      hints.ai_family = AF_UNSPEC
      #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
      #else
        hints.ai_socktype = SOCK_STREAM
      #endif
      var list: UnsafeMutablePointer<addrinfo>?
      let status = getaddrinfo(host, nil, &hints, &list)
      guard status == 0, let list else {
        throw Refused(
          reason: "\(host) cannot be resolved (\(String(cString: gai_strerror(status))))", unresolved: true)
      }
      defer { freeaddrinfo(list) }
      var addresses: [Address] = []
      var next: UnsafeMutablePointer<addrinfo>? = list
      while let info = next {
        if let sockaddr = info.pointee.ai_addr, let address = Self.address(sockaddr, family: info.pointee.ai_family),
          !addresses.contains(where: { $0.bytes == address.bytes })
        {
          addresses.append(address)
        }
        next = info.pointee.ai_next
      }
      return addresses
    }
  }

  private static func address(_ sockaddr: UnsafeMutablePointer<sockaddr>, family: Int32) -> Address? {
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    switch family {
    case AF_INET:
      return sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
        var raw = v4.pointee.sin_addr
        let bytes = withUnsafeBytes(of: &raw) { Array($0) }
        guard inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        return Address(
          text: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), bytes: bytes)
      }
    case AF_INET6:
      return sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
        var raw = v6.pointee.sin6_addr
        let bytes = withUnsafeBytes(of: &raw) { Array($0) }
        guard inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        return Address(
          text: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), bytes: bytes)
      }
    default:
      return nil
    }
  }
}
