import DNS
import Testing

/// TXT text that cannot fit a 512-octet UDP reply.
let bigText = String(repeating: "a", count: 250) + String(repeating: "b", count: 250) + String(repeating: "c", count: 250)

let testZone = """
    example.test.         300 IN A     192.0.2.10
    example.test.         300 IN AAAA  2001:db8::10
    example.test.         300 IN MX    20 mx2.example.test.
    example.test.         300 IN MX    10 mx1.example.test.
    example.test.         300 IN MX    30 mx3.example.test.
    example.test.         300 IN MX    20 mx4.example.test.
    example.test.         300 IN TXT   "v=spf1 " "ip4:192.0.2.0/24 -all"
    mx1.example.test.     300 IN A     192.0.2.1
    mx1.example.test.     300 IN AAAA  2001:db8::1
    mx2.example.test.     300 IN A     192.0.2.2
    mx4.example.test.     300 IN AAAA  2001:db8::4
    alias.example.test.   300 IN CNAME alias2.example.test.
    alias2.example.test.  300 IN CNAME example.test.
    loop.example.test.    300 IN CNAME loop.example.test.
    big.example.test.     300 IN TXT   "\(bigText.prefix(250))" "\(bigText.dropFirst(250).prefix(250))" "\(bigText.suffix(250))"
    nullmx.test.          300 IN MX    0 .
    10.2.0.192.in-addr.arpa. 300 IN PTR example.test.
    0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 IN PTR v6.example.test.

    """

@Suite("StubResolver against dnslib on loopback", .serialized, .enabled(if: ZoneServer.shouldRun))
struct LoopbackResolverTests {
    private func withResolver(_ body: (StubResolver, ZoneServer) async throws -> Void) async throws {
        try await ZoneServer.with(zone: testZone, probe: "big.example.test") { server async throws in
            try await body(StubResolver(servers: [server.server], timeout: .seconds(2), attempts: 2), server)
        }
    }

    @Test("A, AAAA, TXT and PTR lookups")
    func basicTypes() async throws {
        try await withResolver { resolver, _ async throws in
            #expect(try await resolver.a("example.test") == ["192.0.2.10"])
            #expect(try await resolver.a("EXAMPLE.Test.") == ["192.0.2.10"])
            #expect(try await resolver.aaaa("example.test") == ["2001:db8::10"])
            #expect(try await resolver.txt("example.test") == ["v=spf1 ip4:192.0.2.0/24 -all"])
            #expect(try await resolver.ptr("192.0.2.10") == ["example.test"])
            #expect(try await resolver.ptr("2001:db8::10") == ["v6.example.test"])
        }
    }

    @Test("MX records with their preferences, and the route built from them")
    func mx() async throws {
        try await withResolver { resolver, _ async throws in
            let records = try await resolver.mx("example.test")
            #expect(
                Set(records) == [
                    MXRecord(preference: 10, exchange: "mx1.example.test"),
                    MXRecord(preference: 20, exchange: "mx2.example.test"),
                    MXRecord(preference: 30, exchange: "mx3.example.test"),
                    MXRecord(preference: 20, exchange: "mx4.example.test"),
                ])
            let lookup = MailExchangerLookup(resolver: resolver, randomize: { $0.sorted { $0.host < $1.host } })
            #expect(
                try await lookup.route(for: "example.test")
                    == .exchangers([
                        MailExchanger(host: "mx1.example.test", preference: 10, addresses: ["192.0.2.1", "2001:db8::1"]),
                        MailExchanger(host: "mx2.example.test", preference: 20, addresses: ["192.0.2.2"]),
                        MailExchanger(host: "mx4.example.test", preference: 20, addresses: ["2001:db8::4"]),
                    ]))  // mx3 has no address and is skipped
            #expect(try await lookup.route(for: "nullmx.test") == .nullMX)
            #expect(try await lookup.route(for: "nothere.test") == .noSuchDomain)
        }
    }

    @Test("CNAMEs are chased across queries; a CNAME loop ends in a temporary failure")
    func cnameChasing() async throws {
        try await withResolver { resolver, _ async throws in
            #expect(try await resolver.a("alias.example.test") == ["192.0.2.10"])
            #expect(try await resolver.mx("alias.example.test").count == 4)
            await #expect(throws: DNSError.serverFailure("CNAME chain for loop.example.test A is too long")) {
                try await resolver.a("loop.example.test")
            }
        }
    }

    @Test("NXDOMAIN is the permanent nameDoesNotExist")
    func nxdomain() async throws {
        try await withResolver { resolver, _ async throws in
            await #expect(throws: DNSError.nameDoesNotExist("nothere.example.test")) {
                try await resolver.a("nothere.example.test")
            }
            await #expect(throws: DNSError.nameDoesNotExist("nothere.example.test")) {
                try await resolver.mx("nothere.example.test")
            }
        }
    }

    @Test("A reply too big for UDP is truncated by the server and fetched again over TCP")
    func tcpFallback() async throws {
        try await withResolver { resolver, server async throws in
            // First make sure the server really truncates: otherwise this test
            // would pass without ever touching TCP.
            let query = DNSMessage.query(DNSQuestion(name: try DNSName("big.example.test"), type: .txt))
            let raw = try #require(LoopbackSockets.exchange(query.encoded(), port: server.port), "no UDP reply")
            let udpReply = try DNSMessage(decodingResponse: raw, to: query)
            #expect(udpReply.isTruncated)
            #expect(udpReply.answers.isEmpty)
            #expect(raw.count <= 512)

            let text = try await resolver.txt("big.example.test")
            #expect(text == [bigText])
        }
    }

    @Test("A server that does not answer is skipped for the next one")
    func serverOrder() async throws {
        try await ZoneServer.with(zone: testZone, probe: "big.example.test") { server async throws in
            let silent = try #require(BoundSocket(host: "127.0.0.1", port: 0, datagram: true))
            let resolver = StubResolver(
                servers: ["127.0.0.1:\(silent.port)", server.server], timeout: .milliseconds(300), attempts: 1)
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await resolver.a("example.test") == ["192.0.2.10"])
            #expect(clock.now - start >= .milliseconds(250))  // it did wait for the silent one first
        }
    }

    @Test("An IPv6 server given as [::1]:port", .enabled(if: LoopbackSockets.freePort(host: "::1") != nil))
    func ipv6Server() async throws {
        try await ZoneServer.with(zone: testZone, host: "::1", probe: "big.example.test") { server async throws in
            #expect(server.server.hasPrefix("[::1]:"))
            let resolver = StubResolver(servers: [server.server])
            #expect(try await resolver.a("example.test") == ["192.0.2.10"])
            #expect(try await resolver.txt("big.example.test") == [bigText])
        }
    }
}
