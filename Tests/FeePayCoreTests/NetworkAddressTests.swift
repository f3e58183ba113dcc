import FeePayCore
import Testing

@Suite struct NetworkAddressTests {
  /// An IPv6 address from its eight 16-bit groups.
  static func v6(_ groups: UInt16...) -> [UInt8] {
    groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
  }

  @Test(
    arguments: [
      ([0, 0, 0, 0], AddressScope.unspecified), ([0, 1, 2, 3], .unspecified), ([127, 0, 0, 1], .loopback),
      ([127, 255, 255, 254], .loopback), ([10, 0, 0, 1], .privateUse), ([172, 16, 0, 1], .privateUse),
      ([172, 31, 255, 255], .privateUse), ([172, 32, 0, 1], .global), ([172, 15, 0, 1], .global),
      ([192, 168, 0, 1], .privateUse), ([100, 64, 0, 1], .privateUse), ([100, 128, 0, 1], .global),
      ([169, 254, 169, 254], .linkLocal), ([224, 0, 0, 1], .multicast), ([239, 255, 255, 250], .multicast),
      ([240, 0, 0, 1], .reserved), ([255, 255, 255, 255], .reserved), ([192, 0, 2, 1], .reserved),
      ([198, 51, 100, 7], .reserved), ([203, 0, 113, 9], .reserved), ([198, 18, 0, 1], .reserved),
      ([8, 8, 8, 8], .global), ([113, 160, 1, 1], .global),
    ] as [([UInt8], AddressScope)])
  func ipv4(_ bytes: [UInt8], _ scope: AddressScope) {
    #expect(NetworkAddress.scope(of: bytes) == scope)
  }

  @Test func ipv6() {
    let cases: [([UInt8], AddressScope)] = [
      (Self.v6(0, 0, 0, 0, 0, 0, 0, 0), .unspecified), (Self.v6(0, 0, 0, 0, 0, 0, 0, 1), .loopback),
      (Self.v6(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1), .loopback), (Self.v6(0, 0, 0, 0, 0, 0xffff, 0x0a00, 1), .privateUse),
      (Self.v6(0, 0, 0, 0, 0, 0xffff, 0x0808, 0x0808), .global),
      (Self.v6(0, 0, 0, 0, 0, 0, 0xa9fe, 0xa9fe), .linkLocal),
      (Self.v6(0x64, 0xff9b, 0, 0, 0, 0, 0x7f00, 1), .loopback),
      (Self.v6(0x2002, 0xc0a8, 0x0101, 0, 0, 0, 0, 1), .privateUse),
      (Self.v6(0xfe80, 0, 0, 0, 0, 0, 0, 1), .linkLocal), (Self.v6(0xfebf, 0, 0, 0, 0, 0, 0, 1), .linkLocal),
      (Self.v6(0xfec0, 0, 0, 0, 0, 0, 0, 1), .privateUse), (Self.v6(0xfc00, 0, 0, 0, 0, 0, 0, 1), .privateUse),
      (Self.v6(0xfd12, 0x3456, 0, 0, 0, 0, 0, 1), .privateUse), (Self.v6(0xff02, 0, 0, 0, 0, 0, 0, 1), .multicast),
      (Self.v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), .reserved), (Self.v6(0x100, 0, 0, 0, 0, 0, 0, 1), .reserved),
      (Self.v6(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888), .global),
      (Self.v6(0x2402, 0x800, 0, 0, 0, 0, 0, 1), .global),
    ]
    for (bytes, scope) in cases { #expect(NetworkAddress.scope(of: bytes) == scope, "\(bytes)") }
    #expect(NetworkAddress.scope(of: [1, 2, 3]) == nil)
  }

  @Test func webhookURLs() {
    #expect(OutboundURL.webhookRefusal("https://portal.example.gov.vn/hook", allowPrivate: false) == nil)
    #expect(OutboundURL.webhookRefusal("http://portal.example.gov.vn/hook", allowPrivate: false) != nil)
    #expect(OutboundURL.webhookRefusal("http://127.0.0.1:9000/hook", allowPrivate: true) == nil)
    #expect(OutboundURL.webhookRefusal("https://LOCALHOST/", allowPrivate: false) == "webhook URL names localhost")
    #expect(OutboundURL.webhookRefusal("https://localhost/", allowPrivate: true) == nil)
    #expect(OutboundURL.webhookRefusal("gopher://x/", allowPrivate: true) != nil)
    #expect(OutboundURL.host(of: "https://u:p@Example.COM:8443/x?y") == "example.com")
    #expect(OutboundURL.host(of: "https://[::FFFF:127.0.0.1]:1/") == "::ffff:127.0.0.1")
    #expect(OutboundURL.host(of: "https:///x") == nil)
  }

  @Test func returnURLs() {
    let hosts = ["dichvucong.example.gov.vn"]
    #expect(OutboundURL.returnURLRefusal("https://dichvucong.example.gov.vn/back?x=1", allowedHosts: hosts) == nil)
    #expect(OutboundURL.returnURLRefusal("https://DichVuCong.example.gov.vn:443/", allowedHosts: hosts) == nil)
    #expect(OutboundURL.returnURLRefusal("http://dichvucong.example.gov.vn/", allowedHosts: hosts) != nil)
    #expect(OutboundURL.returnURLRefusal("https://evil.example/", allowedHosts: hosts) != nil)
    #expect(OutboundURL.returnURLRefusal("https://dichvucong.example.gov.vn@evil.example/", allowedHosts: hosts) != nil)
    #expect(OutboundURL.returnURLRefusal("https://dichvucong.example.gov.vn/", allowedHosts: []) != nil)
    #expect(OutboundURL.hostNameRefusal("dichvucong.example.gov.vn") == nil)
    for bad in ["", "localhost", "a..b", "-a.b", "a.b/c", "a b.c", "ấp.vn", String(repeating: "a", count: 64) + ".vn"] {
      #expect(OutboundURL.hostNameRefusal(bad) != nil, "\(bad)")
    }
  }
}
