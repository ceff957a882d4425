import DNS
import MailCore
import NIOCore
import Testing

@Suite("DNSCache")
struct DNSCacheTests {
    let key = DNSCache.Key(try! DNSName("Mail.Example.Test"), .a)
    let start = NIODeadline.uptimeNanoseconds(5_000_000_000)
    let records = DNSCache.Entry.records([.a(IPAddress("192.0.2.1")!)])

    @Test("An entry lives for its TTL, counting down, then is gone")
    func expiry() {
        var cache = DNSCache()
        cache.store(records, for: key, ttl: 60, now: start)
        #expect(cache.lookup(key, now: start)?.ttl == 60)
        #expect(cache.lookup(key, now: start + .seconds(59))?.entry == records)
        #expect(cache.lookup(key, now: start + .seconds(59))?.ttl == 1)
        #expect(cache.lookup(key, now: start + .seconds(60)) == nil)
        #expect(cache.count == 0)
    }

    @Test("Keys ignore case; types are separate")
    func keys() throws {
        var cache = DNSCache()
        cache.store(records, for: key, ttl: 60, now: start)
        #expect(cache.lookup(DNSCache.Key(try DNSName("mail.example.test."), .a), now: start) != nil)
        #expect(cache.lookup(DNSCache.Key(try DNSName("mail.example.test"), .aaaa), now: start) == nil)
    }

    @Test("TTL zero is not stored; TTLs are capped, negative ones harder")
    func caps() {
        var cache = DNSCache(maximumTTL: 100, maximumNegativeTTL: 10)
        cache.store(records, for: key, ttl: 0, now: start)
        #expect(cache.lookup(key, now: start) == nil)
        cache.store(records, for: key, ttl: 1_000_000, now: start)
        #expect(cache.lookup(key, now: start)?.ttl == 100)
        let other = DNSCache.Key(try! DNSName("gone.example.test"), .a)
        cache.store(.nameError, for: other, ttl: 3600, now: start)
        #expect(cache.lookup(other, now: start + .seconds(9))?.entry == .nameError)
        #expect(cache.lookup(other, now: start + .seconds(10)) == nil)
    }

    @Test("A full cache drops expired entries first and never grows past capacity")
    func capacity() throws {
        var cache = DNSCache(capacity: 2)
        let keys = try (0..<3).map { DNSCache.Key(try DNSName("h\($0).test"), .a) }
        cache.store(records, for: keys[0], ttl: 5, now: start)
        cache.store(records, for: keys[1], ttl: 500, now: start)
        cache.store(records, for: keys[2], ttl: 500, now: start + .seconds(10))
        #expect(cache.count == 2)
        #expect(cache.lookup(keys[1], now: start + .seconds(10)) != nil)
        #expect(cache.lookup(keys[2], now: start + .seconds(10)) != nil)
    }
}

@Suite("StubResolver caching")
struct ResolverCachingTests {
    @Test("Answers are reused for their TTL and asked for again after it")
    func positive() async throws {
        let transport = FakeTransport()
        await transport.reply(
            to: "mx.example.test", .a,
            with: Reply.records([
                Reply.a("mx.example.test", "192.0.2.1", ttl: 300), Reply.a("mx.example.test", "192.0.2.2", ttl: 30),
            ]))
        let clock = TestClock()
        let resolver = StubResolver(transport: transport, clock: { clock.now })
        #expect(try await resolver.a("mx.example.test") == ["192.0.2.1", "192.0.2.2"])
        clock.advance(seconds: 29)
        #expect(try await resolver.a("MX.example.test.") == ["192.0.2.1", "192.0.2.2"])
        #expect(await transport.count("mx.example.test", .a) == 1)
        clock.advance(seconds: 1)  // 30 s: the smallest TTL in the RRset is over
        #expect(try await resolver.a("mx.example.test") == ["192.0.2.1", "192.0.2.2"])
        #expect(await transport.count("mx.example.test", .a) == 2)
    }

    @Test("NXDOMAIN is cached for the SOA minimum (RFC 2308)")
    func negativeNameError() async throws {
        let transport = FakeTransport()
        await transport.reply(
            to: "gone.example.test", .mx,
            with: Reply.records([], code: .nameError, authority: [Reply.soa("example.test", ttl: 3600, minimum: 45)]))
        let clock = TestClock()
        let resolver = StubResolver(transport: transport, clock: { clock.now })
        for _ in 0..<2 {
            await #expect(throws: DNSError.nameDoesNotExist("gone.example.test")) { try await resolver.mx("gone.example.test") }
            clock.advance(seconds: 22)
        }
        #expect(await transport.count("gone.example.test", .mx) == 1)
        clock.advance(seconds: 1)  // 45 s
        await #expect(throws: DNSError.nameDoesNotExist("gone.example.test")) { try await resolver.mx("gone.example.test") }
        #expect(await transport.count("gone.example.test", .mx) == 2)
    }

    @Test("NODATA is cached for min(SOA TTL, minimum), capped at an hour")
    func negativeNoData() async throws {
        let transport = FakeTransport()
        await transport.reply(
            to: "example.test", .mx, with: Reply.records([], authority: [Reply.soa("example.test", ttl: 90_000, minimum: 86_400)])
        )
        let clock = TestClock()
        let resolver = StubResolver(transport: transport, clock: { clock.now })
        #expect(try await resolver.mx("example.test") == [])
        clock.advance(seconds: 3599)
        #expect(try await resolver.mx("example.test") == [])
        #expect(await transport.count("example.test", .mx) == 1)
        clock.advance(seconds: 1)
        #expect(try await resolver.mx("example.test") == [])
        #expect(await transport.count("example.test", .mx) == 2)
    }

    @Test("Negative answers without an SOA are not cached")
    func negativeWithoutSOA() async throws {
        let transport = FakeTransport()
        await transport.reply(to: "gone.example.test", .a, with: Reply.records([], code: .nameError))
        let resolver = StubResolver(transport: transport)
        for _ in 0..<2 { await #expect(throws: DNSError.self) { try await resolver.a("gone.example.test") } }
        #expect(await transport.count("gone.example.test", .a) == 2)
    }

    @Test("A CNAME followed across queries: both names cached, for the least TTL")
    func aliasCaching() async throws {
        let transport = FakeTransport()
        await transport.reply(
            to: "www.example.test", .a, with: Reply.records([Reply.cname("www.example.test", "web.example.test", ttl: 20)]))
        await transport.reply(
            to: "web.example.test", .a, with: Reply.records([Reply.a("web.example.test", "192.0.2.80", ttl: 300)]))
        let clock = TestClock()
        let resolver = StubResolver(transport: transport, clock: { clock.now })
        #expect(try await resolver.a("www.example.test") == ["192.0.2.80"])
        #expect(try await resolver.a("www.example.test") == ["192.0.2.80"])
        #expect(await transport.count("www.example.test", .a) == 1)
        clock.advance(seconds: 20)  // the alias expired, the target did not
        #expect(try await resolver.a("www.example.test") == ["192.0.2.80"])
        #expect(await transport.count("www.example.test", .a) == 2)
        #expect(await transport.count("web.example.test", .a) == 1)
    }

    @Test("CNAME chasing stops after eight hops")
    func chainLimit() async throws {
        let transport = FakeTransport()
        for hop in 0..<9 {
            await transport.reply(to: "h\(hop).test", .a, with: Reply.records([Reply.cname("h\(hop).test", "h\(hop + 1).test")]))
        }
        await transport.reply(to: "h9.test", .a, with: Reply.records([Reply.a("h9.test", "192.0.2.9")]))
        await transport.reply(to: "h1.test", .aaaa, with: Reply.records([Reply.cname("h1.test", "h9.test")]))
        await transport.reply(to: "h9.test", .aaaa, with: Reply.records([]))
        let resolver = StubResolver(transport: transport)
        await #expect(throws: DNSError.serverFailure("CNAME chain for h8.test A is too long")) { try await resolver.a("h0.test") }
        #expect(try await resolver.a("h1.test") == ["192.0.2.9"])  // exactly eight hops
        #expect(try await resolver.aaaa("h1.test") == [])
    }

    @Test("Names that cannot exist fail permanently without a query")
    func impossibleNames() async throws {
        let transport = FakeTransport()
        let resolver = StubResolver(transport: transport)
        await #expect(throws: DNSError.nameDoesNotExist("a..b")) { try await resolver.mx("a..b") }
        await #expect(throws: DNSError.self) { try await resolver.ptr("not-an-address") }
        #expect(await transport.asked.isEmpty)
    }

    @Test("Record data becomes the API's strings")
    func conversions() async throws {
        let transport = FakeTransport()
        await transport.reply(
            to: "example.test", .txt,
            with: Reply.records([Reply.record("example.test", ttl: 60, .txt([Array("v=spf1 ".utf8), Array("-all".utf8)]))]))
        await transport.reply(
            to: "example.test", .mx,
            with: Reply.records([Reply.record("example.test", ttl: 60, .mx(preference: 0, exchange: .root))]))
        await transport.reply(
            to: "example.test", .aaaa,
            with: Reply.records([Reply.record("example.test", ttl: 60, .aaaa(IPAddress("2001:db8:0:0:0:0:2:1")!))]))
        await transport.reply(
            to: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", .ptr,
            with: Reply.records([
                Reply.record(
                    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", ttl: 60,
                    .ptr(try DNSName("host.example.test")))
            ]))
        let resolver = StubResolver(transport: transport)
        #expect(try await resolver.txt("example.test") == ["v=spf1 -all"])
        #expect(try await resolver.mx("example.test") == [MXRecord(preference: 0, exchange: ".")])
        #expect(try await resolver.aaaa("example.test") == ["2001:db8::2:1"])
        #expect(try await resolver.ptr("2001:DB8::1") == ["host.example.test"])
    }
}
