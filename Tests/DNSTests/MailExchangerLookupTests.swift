import DNS
import Synchronization
import Testing

/// A resolver answering from tables; a missing entry is NXDOMAIN.
final class FakeResolver: DNSResolving {
    let mxRecords: [String: Result<[MXRecord], DNSError>]
    let addresses: [String: Result<[String], DNSError>]
    let addresses6: [String: Result<[String], DNSError>]
    private let queries = Mutex<[String]>([])

    init(
        mx: [String: Result<[MXRecord], DNSError>], a: [String: Result<[String], DNSError>] = [:],
        aaaa: [String: Result<[String], DNSError>] = [:]
    ) {
        mxRecords = mx
        addresses = a
        addresses6 = aaaa
    }

    var asked: [String] { queries.withLock { $0 } }

    private func answer<T>(_ table: [String: Result<[T], DNSError>], _ name: String, _ type: String) throws(DNSError) -> [T] {
        queries.withLock { $0.append("\(type) \(name)") }
        guard let result = table[name] else { throw .nameDoesNotExist(name) }
        return try result.get()
    }

    func mx(_ name: String) async throws(DNSError) -> [MXRecord] { try answer(mxRecords, name, "MX") }
    func a(_ name: String) async throws(DNSError) -> [String] { try answer(addresses, name, "A") }
    func aaaa(_ name: String) async throws(DNSError) -> [String] { try answer(addresses6, name, "AAAA") }
    func txt(_ name: String) async throws(DNSError) -> [String] { throw .nameDoesNotExist(name) }
    func ptr(_ address: String) async throws(DNSError) -> [String] { throw .nameDoesNotExist(address) }
}

/// Keeps equal-preference groups in the given order.
let keepOrder: @Sendable ([MailExchanger]) -> [MailExchanger] = { $0 }
/// Reverses every equal-preference group: makes the randomizer's effect visible.
let reverseOrder: @Sendable ([MailExchanger]) -> [MailExchanger] = { $0.reversed() }

private func hosts(_ route: MailRoute) -> [String] {
    guard case .exchangers(let list) = route else { return [] }
    return list.map(\.host)
}

@Suite("MailExchangerLookup (RFC 5321 § 5.1)")
struct MailExchangerLookupTests {
    let servfail = DNSError.serverFailure("SERVFAIL")

    @Test("Exchangers come sorted by preference, each with its IPv4 then IPv6 addresses")
    func preferenceOrder() async throws {
        let resolver = FakeResolver(
            mx: [
                "example.test": .success([
                    MXRecord(preference: 30, exchange: "c.example.test"), MXRecord(preference: 10, exchange: "a.example.test"),
                    MXRecord(preference: 20, exchange: "b.example.test"),
                ])
            ],
            a: [
                "a.example.test": .success(["192.0.2.1"]), "b.example.test": .success(["192.0.2.2"]),
                "c.example.test": .success([]),
            ],
            aaaa: [
                "a.example.test": .success(["2001:db8::1"]), "b.example.test": .success([]),
                "c.example.test": .success(["2001:db8::3"]),
            ])
        let route = try await MailExchangerLookup(resolver: resolver, randomize: keepOrder).route(for: "example.test")
        #expect(
            route
                == .exchangers([
                    MailExchanger(host: "a.example.test", preference: 10, addresses: ["192.0.2.1", "2001:db8::1"]),
                    MailExchanger(host: "b.example.test", preference: 20, addresses: ["192.0.2.2"]),
                    MailExchanger(host: "c.example.test", preference: 30, addresses: ["2001:db8::3"]),
                ]))
    }

    @Test("Only exchangers of equal preference are handed to the randomizer, group by group")
    func randomizeAmongEquals() async throws {
        let names = ["p1", "p2", "s1", "s2", "s3", "t1"]
        let preferences: [String: UInt16] = ["p1": 5, "p2": 5, "s1": 10, "s2": 10, "s3": 10, "t1": 20]
        let resolver = FakeResolver(
            mx: ["example.test": .success(names.reversed().map { MXRecord(preference: preferences[$0]!, exchange: $0) })],
            a: Dictionary(uniqueKeysWithValues: names.map { ($0, .success(["192.0.2.1"])) }),
            aaaa: Dictionary(uniqueKeysWithValues: names.map { ($0, .success([])) }))
        let groups = Mutex<[[String]]>([])
        let recording: @Sendable ([MailExchanger]) -> [MailExchanger] = { group in
            groups.withLock { $0.append(group.map(\.host)) }
            return group.reversed()
        }
        let route = try await MailExchangerLookup(resolver: resolver, randomize: recording).route(for: "example.test")
        // The MX answer listed them in reverse; groups keep answer order, then are reversed.
        #expect(groups.withLock { $0 } == [["p2", "p1"], ["s3", "s2", "s1"], ["t1"]])
        #expect(hosts(route) == ["p1", "p2", "s1", "s2", "s3", "t1"])
        let unchanged = try await MailExchangerLookup(resolver: resolver, randomize: keepOrder).route(for: "example.test")
        #expect(hosts(unchanged) == ["p2", "p1", "s3", "s2", "s1", "t1"])
    }

    @Test("The default randomizer does shuffle equal preferences, and only those")
    func defaultShuffle() async throws {
        let names = (0..<8).map { "mx\($0).example.test" }
        let resolver = FakeResolver(
            mx: [
                "example.test": .success(
                    names.map { MXRecord(preference: 10, exchange: $0) } + [
                        MXRecord(preference: 99, exchange: "last.example.test")
                    ])
            ],
            a: Dictionary(uniqueKeysWithValues: (names + ["last.example.test"]).map { ($0, .success(["192.0.2.1"])) }),
            aaaa: [:])
        var orders = Set<[String]>()
        for _ in 0..<20 {
            let route = try await MailExchangerLookup(resolver: resolver).route(for: "example.test")
            #expect(hosts(route).last == "last.example.test")
            #expect(Set(hosts(route).dropLast()) == Set(names))
            orders.insert(hosts(route))
        }
        #expect(orders.count > 1)  // 8! orders: twenty identical draws would be a broken shuffle
    }

    @Test("No MX records: the domain itself is the exchanger, preference 0")
    func implicitMX() async throws {
        let resolver = FakeResolver(
            mx: ["example.test": .success([])], a: ["example.test": .success(["192.0.2.7"])],
            aaaa: ["example.test": .success(["2001:db8::7"])])
        let route = try await MailExchangerLookup(resolver: resolver, randomize: keepOrder).route(for: "example.test")
        #expect(
            route == .exchangers([MailExchanger(host: "example.test", preference: 0, addresses: ["192.0.2.7", "2001:db8::7"])]))
    }

    @Test("No MX and no address: permanent, reported as noSuchDomain")
    func implicitMXWithoutAddress() async throws {
        let resolver = FakeResolver(
            mx: ["example.test": .success([])], a: ["example.test": .success([])], aaaa: ["example.test": .success([])])
        #expect(try await MailExchangerLookup(resolver: resolver).route(for: "example.test") == .noSuchDomain)
    }

    @Test("NXDOMAIN for the domain is noSuchDomain")
    func nxdomain() async throws {
        let resolver = FakeResolver(mx: [:])
        #expect(try await MailExchangerLookup(resolver: resolver).route(for: "gone.test") == .noSuchDomain)
        #expect(resolver.asked == ["MX gone.test"])
    }

    @Test("Null MX (RFC 7505): one MX whose exchange is the root", arguments: [".", ""])
    func nullMX(exchange: String) async throws {
        let resolver = FakeResolver(mx: ["example.test": .success([MXRecord(preference: 0, exchange: exchange)])])
        #expect(try await MailExchangerLookup(resolver: resolver).route(for: "example.test") == .nullMX)
        #expect(resolver.asked == ["MX example.test"])  // no address lookups, no implicit MX
    }

    @Test("A root exchange among real ones is not null MX; it is skipped")
    func brokenNullMX() async throws {
        let resolver = FakeResolver(
            mx: [
                "example.test": .success([
                    MXRecord(preference: 0, exchange: "."), MXRecord(preference: 10, exchange: "mx.example.test"),
                ])
            ],
            a: ["mx.example.test": .success(["192.0.2.1"])], aaaa: ["mx.example.test": .success([])])
        #expect(hosts(try await MailExchangerLookup(resolver: resolver).route(for: "example.test")) == ["mx.example.test"])
    }

    @Test("Exchangers that do not resolve are skipped")
    func unresolvableSkipped() async throws {
        let resolver = FakeResolver(
            mx: [
                "example.test": .success([
                    MXRecord(preference: 10, exchange: "gone.example.test"),
                    MXRecord(preference: 20, exchange: "empty.example.test"),
                    MXRecord(preference: 30, exchange: "ok.example.test"),
                ])
            ],
            a: ["empty.example.test": .success([]), "ok.example.test": .success(["192.0.2.3"])],
            aaaa: ["empty.example.test": .success([]), "ok.example.test": .success([])])
        let route = try await MailExchangerLookup(resolver: resolver).route(for: "example.test")
        #expect(route == .exchangers([MailExchanger(host: "ok.example.test", preference: 30, addresses: ["192.0.2.3"])]))
    }

    @Test("No exchanger resolves and none failed temporarily: permanent")
    func noneResolve() async throws {
        let resolver = FakeResolver(mx: ["example.test": .success([MXRecord(preference: 10, exchange: "gone.example.test")])])
        #expect(try await MailExchangerLookup(resolver: resolver).route(for: "example.test") == .noSuchDomain)
    }

    @Test("A temporary failure of the MX lookup propagates")
    func temporaryMXFailure() async throws {
        let resolver = FakeResolver(mx: ["example.test": .failure(.timeout("no reply"))])
        await #expect(throws: DNSError.timeout("no reply")) {
            try await MailExchangerLookup(resolver: resolver).route(for: "example.test")
        }
    }

    @Test("A temporary failure of the implicit MX's addresses propagates")
    func temporaryImplicitFailure() async throws {
        let resolver = FakeResolver(
            mx: ["example.test": .success([])], a: ["example.test": .failure(servfail)], aaaa: ["example.test": .success([])])
        await #expect(throws: servfail) { try await MailExchangerLookup(resolver: resolver).route(for: "example.test") }
    }

    @Test("A temporary failure for the only usable exchangers propagates; beside a resolved one it is skipped")
    func temporaryExchangerFailure() async throws {
        let mx: [String: Result<[MXRecord], DNSError>] = [
            "example.test": .success([
                MXRecord(preference: 10, exchange: "flaky.example.test"), MXRecord(preference: 20, exchange: "gone.example.test"),
            ])
        ]
        let onlyFlaky = FakeResolver(
            mx: mx, a: ["flaky.example.test": .failure(servfail)], aaaa: ["flaky.example.test": .failure(servfail)])
        await #expect(throws: servfail) { try await MailExchangerLookup(resolver: onlyFlaky).route(for: "example.test") }

        var withBackup = mx
        withBackup["example.test"] = .success([
            MXRecord(preference: 10, exchange: "flaky.example.test"), MXRecord(preference: 20, exchange: "ok.example.test"),
        ])
        let resolver = FakeResolver(
            mx: withBackup, a: ["flaky.example.test": .failure(servfail), "ok.example.test": .success(["192.0.2.4"])],
            aaaa: ["flaky.example.test": .failure(servfail), "ok.example.test": .success([])])
        #expect(hosts(try await MailExchangerLookup(resolver: resolver).route(for: "example.test")) == ["ok.example.test"])
    }

    @Test("One address family failing temporarily still leaves the other")
    func partialAddresses() async throws {
        let resolver = FakeResolver(
            mx: ["example.test": .success([MXRecord(preference: 10, exchange: "mx.example.test")])],
            a: ["mx.example.test": .success(["192.0.2.5"])], aaaa: ["mx.example.test": .failure(servfail)])
        let route = try await MailExchangerLookup(resolver: resolver).route(for: "example.test")
        #expect(route == .exchangers([MailExchanger(host: "mx.example.test", preference: 10, addresses: ["192.0.2.5"])]))
    }

    @Test("A host listed twice is tried once, at its best preference")
    func duplicates() async throws {
        let resolver = FakeResolver(
            mx: [
                "example.test": .success([
                    MXRecord(preference: 50, exchange: "mx.example.test"),
                    MXRecord(preference: 20, exchange: "other.example.test"),
                    MXRecord(preference: 10, exchange: "MX.example.test"),
                ])
            ],
            a: [
                "mx.example.test": .success(["192.0.2.1"]), "MX.example.test": .success(["192.0.2.1"]),
                "other.example.test": .success(["192.0.2.2"]),
            ],
            aaaa: ["mx.example.test": .success([]), "MX.example.test": .success([]), "other.example.test": .success([])])
        let route = try await MailExchangerLookup(resolver: resolver, randomize: keepOrder).route(for: "example.test")
        #expect(hosts(route) == ["MX.example.test", "other.example.test"])
    }

    @Test("Only NXDOMAIN is permanent")
    func temporariness() {
        #expect(!DNSError.nameDoesNotExist("x").isTemporary)
        #expect(DNSError.serverFailure("x").isTemporary)
        #expect(DNSError.timeout("x").isTemporary)
        #expect(DNSError.malformedResponse("x").isTemporary)
    }
}
