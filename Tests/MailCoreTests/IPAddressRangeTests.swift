import MailCore
import Testing

@Suite("Client address ranges: single, CIDR and a-b, IPv4 and IPv6")
struct IPAddressRangeTests {
    func matches(_ range: String, _ address: String) throws -> Bool {
        let parsed = try #require(IPAddressRange(range), "\(range) should parse")
        return parsed.contains(try #require(IPAddress(address)))
    }

    @Test("A CIDR block contains exactly its addresses")
    func cidr() throws {
        #expect(try matches("192.168.0.0/24", "192.168.0.0"))
        #expect(try matches("192.168.0.0/24", "192.168.0.255"))
        #expect(try !matches("192.168.0.0/24", "192.168.1.0"))
        #expect(try !matches("192.168.0.0/24", "192.167.255.255"))
        #expect(try matches("10.0.0.0/8", "10.200.3.4"))
        #expect(try matches("0.0.0.0/0", "203.0.113.5"))
        #expect(try matches("127.0.0.2/32", "127.0.0.2"))
        #expect(try !matches("127.0.0.2/32", "127.0.0.9"))
    }

    @Test("A range written as in the original product, inclusive at both ends")
    func dashRange() throws {
        #expect(try matches("192.168.0.100-192.168.0.199", "192.168.0.100"))
        #expect(try matches("192.168.0.100-192.168.0.199", "192.168.0.150"))
        #expect(try matches("192.168.0.100-192.168.0.199", "192.168.0.199"))
        #expect(try !matches("192.168.0.100-192.168.0.199", "192.168.0.99"))
        #expect(try !matches("192.168.0.100-192.168.0.199", "192.168.0.200"))
        #expect(try matches("192.168.0.100 - 192.168.0.199", "192.168.0.120"))
    }

    @Test("IPv6 blocks and single addresses")
    func ipv6() throws {
        #expect(try matches("2001:db8::/32", "2001:db8:ffff::1"))
        #expect(try !matches("2001:db8::/32", "2001:db9::1"))
        #expect(try matches("::1", "::1"))
        #expect(try matches("2001:db8::10-2001:db8::20", "2001:db8::15"))
        #expect(try !matches("2001:db8::10-2001:db8::20", "2001:db8::21"))
    }

    @Test("IPv4 ranges and IPv6 addresses never match each other, except IPv4-mapped clients")
    func families() throws {
        #expect(try !matches("0.0.0.0/0", "2001:db8::1"))
        #expect(try !matches("::/0", "192.0.2.1") == false)  // ::/0 spans all 16-byte values, mapped IPv4 included
        #expect(try matches("192.0.2.0/24", "::ffff:192.0.2.7"))
    }

    @Test("Malformed entries are refused, not guessed", arguments: [
        "192.168.0.0/33", "192.168.0.1/24", "192.168.0.300", "192.168.0.0/", "/24", "192.168.0.199-192.168.0.100",
        "192.168.0.1-2001:db8::1", "2001:db8::/129", "example.test", "", "192.168.0.0/24/8",
    ])
    func refused(_ text: String) {
        #expect(IPAddressRange(text) == nil)
    }

    @Test("Private, loopback and ULA ranges are recognised for the NAT warning")
    func privateRanges() throws {
        #expect(try #require(IPAddressRange("192.168.0.0/24")).overlapsPrivateOrLoopback)
        #expect(try #require(IPAddressRange("127.0.0.2")).overlapsPrivateOrLoopback)
        #expect(try #require(IPAddressRange("fd00::/8")).overlapsPrivateOrLoopback)
        #expect(try #require(IPAddressRange("172.20.0.0/16")).overlapsPrivateOrLoopback)
        #expect(try !#require(IPAddressRange("203.0.113.0/24")).overlapsPrivateOrLoopback)
        #expect(try !#require(IPAddressRange("2001:db8::/32")).overlapsPrivateOrLoopback)
    }

    @Test("Addresses print canonically")
    func printing() throws {
        #expect(try #require(IPAddress("192.0.2.7")).description == "192.0.2.7")
        #expect(try #require(IPAddress("2001:0db8:0000::0001")).description == "2001:db8::1")
    }
}

@Suite("Recognising 'everyone' in any spelling")
struct EveryoneRangeTests {
    @Test("Every spelling of all addresses is recognised", arguments: [
        "0.0.0.0/0", "0.0.0.0-255.255.255.255", "::/0", "0::/0", "::0/0", "0:0:0:0:0:0:0:0/0",
        "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ])
    func everyone(_ text: String) throws {
        #expect(try #require(IPAddressRange(text)).coversEverything)
    }

    @Test("Large but partial ranges are not 'everyone'", arguments: ["0.0.0.0/1", "128.0.0.0/1", "::/1", "10.0.0.0/8"])
    func partial(_ text: String) throws {
        #expect(try !#require(IPAddressRange(text)).coversEverything)
    }
}
