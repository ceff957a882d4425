import MailCore
import Testing

@Suite("IPAddress: one type for records, clients and ranges")
struct IPAddressTests {
    @Test(
        "IPv6 text per RFC 5952",
        arguments: [
            ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // first of equal runs
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group stays
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // the longest run wins
            ("::", "::"), ("::1", "::1"), ("1::", "1::"),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ])
    func ipv6Canonical(input: String, canonical: String) throws {
        let address = try #require(IPAddress(input))
        #expect(address.description == canonical)
        #expect(!address.isIPv4)
    }

    @Test("An IPv4-mapped IPv6 address is the IPv4 address it maps", arguments: ["::ffff:192.0.2.1", "::FFFF:c000:0201"])
    func ipv4Mapped(input: String) throws {
        let address = try #require(IPAddress(input))
        #expect(address == IPAddress("192.0.2.1"))
        #expect(address.isIPv4 && address.octets == [192, 0, 2, 1])
        #expect(address.description == "192.0.2.1")
    }

    @Test(
        "Not addresses",
        arguments: [
            "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1::2::3", "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7", "12345::", "g::1", "::1%eth0", "[::1]", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::",
            "::1.2.3", "1.2.3.4::",
        ])
    func invalid(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("Octets as records carry them: 4 for IPv4, 16 for IPv6")
    func octets() throws {
        #expect(IPAddress(octets: [192, 0, 2, 1])?.description == "192.0.2.1")
        #expect(try #require(IPAddress("2001:db8::1")).octets.count == 16)
        #expect(IPAddress(octets: [1, 2, 3]) == nil)
        #expect(try #require(IPAddress("192.0.2.1")) < #require(IPAddress("2001:db8::1")))
    }
}
