import DNS
import MailCore
import Testing

@Suite("DNSName")
struct DNSNameTests {
    @Test("Text form splits on dots; a final dot changes nothing; the root is '.'")
    func parsing() throws {
        #expect(try DNSName("mail.example.com").labels == [Array("mail".utf8), Array("example".utf8), Array("com".utf8)])
        #expect(try DNSName("mail.example.com.") == DNSName("mail.example.com"))
        #expect(try DNSName(".").isRoot)
        #expect(try DNSName("").isRoot)
        #expect(DNSName.root.description == ".")
        #expect(try DNSName("Mail.Example.COM").description == "Mail.Example.COM")
    }

    @Test("Escapes: a dot inside a label stays inside it")
    func escapes() throws {
        let name = try DNSName(#"a\.b.c\\d.\065\000x"#)
        #expect(name.labels == [Array("a.b".utf8), Array(#"c\d"#.utf8), [65, 0, 0x78]])
        #expect(name.description == #"a\.b.c\\d.A\000x"#)
        #expect(try DNSName(name.description) == name)
    }

    @Test(
        "Names that cannot be encoded",
        arguments: [
            ("a..b", DNSWireError.emptyLabel), (".a", .emptyLabel), ("a.b..", .emptyLabel),
            (String(repeating: "x", count: 64) + ".com", .labelTooLong),
            (Array(repeating: String(repeating: "x", count: 63), count: 4).joined(separator: "."), .nameTooLong),
            (#"a\"#, .invalidEscape), (#"a\25"#, .invalidEscape), (#"a\256"#, .invalidEscape),
        ])
    func invalid(text: String, error: DNSWireError) {
        #expect(throws: error) { try DNSName(text) }
    }

    @Test("The longest legal name: 255 octets on the wire")
    func longest() throws {
        let text =
            Array(repeating: String(repeating: "x", count: 63), count: 3).joined(separator: ".") + "."
            + String(repeating: "y", count: 61)
        #expect(try DNSName(text).wireLength == 255)
    }

    @Test("Names match without regard to ASCII case only (RFC 4343)")
    func caseInsensitive() throws {
        #expect(try DNSName("MX.Example.Test").matches(DNSName("mx.example.test")))
        #expect(try !DNSName("mx.example.test").matches(DNSName("mx.example.test.org")))
        #expect(try !DNSName("\\195\\137").matches(DNSName("\\195\\169")))  // É and é differ
    }
}

@Suite("IPAddress.reverseName")
struct IPAddressReverseNameTests {
    @Test("Reverse names for PTR lookups")
    func reverseNames() throws {
        #expect(try #require(IPAddress("192.0.2.10")).reverseName.description == "10.2.0.192.in-addr.arpa")
        #expect(
            try #require(IPAddress("2001:db8::567:89ab")).reverseName.description
                == "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
        // An IPv4-mapped address is its IPv4 address, under in-addr.arpa.
        #expect(IPAddress("::ffff:192.0.2.10")?.reverseName == IPAddress("192.0.2.10")?.reverseName)
    }
}

@Suite("DNS server list")
struct ServerListTests {
    @Test("resolv.conf: nameserver lines in order, comments and other options ignored")
    func resolvConf() {
        let text = """
            # generated
            search example.test
            nameserver 192.0.2.53
            ; nameserver 192.0.2.99
            options timeout:1
            nameserver\t2001:db8::53
            nameserver fe80::1%eth0
            nameserver not-an-address
            """
        #expect(DNSServerList.parseResolvConf(text) == ["192.0.2.53:53", "[2001:db8::53]:53"])
    }

    @Test("A resolv.conf without nameservers means the local host")
    func emptyResolvConf() {
        #expect(DNSServerList.parseResolvConf("search example.test\n") == ["127.0.0.1:53"])
        #expect(StubResolver.systemServers(resolvConf: "/nonexistent/resolv.conf") == ["127.0.0.1:53"])
    }

    @Test(
        "address:port strings",
        arguments: [
            ("127.0.0.1:5354", "127.0.0.1", 5354), ("[::1]:5354", "::1", 5354), ("192.0.2.1", "192.0.2.1", 53),
            ("2001:db8::1", "2001:db8::1", 53), ("[2001:db8::1]", "2001:db8::1", 53),
        ])
    func addresses(text: String, host: String, port: Int) throws {
        let address = try #require(DNSServerList.socketAddress(text))
        #expect(address.ipAddress == host)
        #expect(address.port == port)
    }

    @Test(
        "Not server addresses",
        arguments: ["", "localhost:53", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "[::1", "[::1]53", "1.2.3.4:x"])
    func invalidAddresses(text: String) {
        #expect(DNSServerList.socketAddress(text) == nil)
    }
}
