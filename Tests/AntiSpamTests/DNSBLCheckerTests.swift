import DNS
import MailCore
import Testing

@testable import AntiSpam

@Suite("DNSBL checker over a fake resolver")
struct DNSBLCheckerTests {
    static let listed = BlocklistConfiguration(zone: "bl.example")
    static let scoring = BlocklistConfiguration(zone: "score.example", action: .score(2.5))
    static let refusing = BlocklistConfiguration(zone: "refuse.example")
    static let slow = BlocklistConfiguration(zone: "slow.example")
    static let domains = BlocklistConfiguration(zone: "dbl.example", kind: .domain)

    static func resolver() -> DNSBLFakeResolver {
        DNSBLFakeResolver(
            a: [
                "2.0.0.127.bl.example": .records(["127.0.0.2", "127.0.0.4"]),
                "2.0.0.127.score.example": .records(["127.0.0.3"]),
                "2.0.0.127.refuse.example": .records(["127.255.255.254"]),
                "9.0.0.127.refuse.example": .records(["127.255.255.254"]),
                "2.0.0.127.slow.example": .error(.timeout("no reply")),
                "9.0.0.127.slow.example": .error(.serverFailure("SERVFAIL")),
                "9.0.0.127.bl.example": .records(["192.0.2.1"]),
                "spammer.test.dbl.example": .records(["127.0.1.2"]),
            ],
            txt: [
                "2.0.0.127.bl.example": .records(["Listed for spam,", "see http://bl.example/?127.0.0.2"]),
                "spammer.test.dbl.example": .records(["bad domain"]),
            ])
    }

    @Test("Each list's verdict, in configuration order")
    func verdicts() async {
        let resolver = Self.resolver()
        let checker = BlocklistChecker(
            lists: [Self.listed, Self.scoring, Self.refusing, Self.slow, Self.domains], resolver: resolver)
        let verdicts = await checker.check(address: MailCore.IPAddress("127.0.0.2")!)
        #expect(verdicts.map(\.list.zone) == ["bl.example", "score.example", "refuse.example", "slow.example"])
        #expect(verdicts[0].outcome == .listed(reason: "Listed for spam, see http://bl.example/?127.0.0.2"))
        #expect(verdicts[0].answers == ["127.0.0.2", "127.0.0.4"])
        #expect(verdicts[0].queryName == "2.0.0.127.bl.example")
        #expect(verdicts[0].subject == "127.0.0.2")
        #expect(verdicts[1].outcome == .listed(reason: nil))
        #expect(verdicts[2].outcome == .refused)
        #expect(verdicts[3].outcome == .noAnswer(.timeout("no reply")))
        #expect(verdicts.firstRejection?.list.zone == "bl.example")
        #expect(verdicts.totalScore == 2.5)
    }

    @Test("NXDOMAIN and answers outside the listed set are 'not listed'; nothing rejects")
    func notListed() async {
        let resolver = Self.resolver()
        let checker = BlocklistChecker(lists: [Self.listed, Self.scoring, Self.slow], resolver: resolver)
        let verdicts = await checker.check(address: MailCore.IPAddress("127.0.0.9")!)
        #expect(verdicts[0].outcome == .notListed)
        #expect(verdicts[0].answers == ["192.0.2.1"])
        #expect(verdicts[1].outcome == .notListed)
        #expect(verdicts[2].outcome == .noAnswer(.serverFailure("SERVFAIL")))
        #expect(verdicts.firstRejection == nil)
        #expect(verdicts.totalScore == 0)
    }

    @Test("The TXT record is fetched only for a listing")
    func txtOnlyWhenListed() async {
        let resolver = Self.resolver()
        let checker = BlocklistChecker(lists: [Self.listed, Self.refusing, Self.scoring], resolver: resolver)
        _ = await checker.check(address: MailCore.IPAddress("127.0.0.9")!)
        #expect(!resolver.questions.contains { $0.hasPrefix("TXT") })
        _ = await checker.check(address: MailCore.IPAddress("127.0.0.2")!)
        #expect(
            resolver.questions.filter { $0.hasPrefix("TXT") }.sorted() == [
                "TXT 2.0.0.127.bl.example", "TXT 2.0.0.127.score.example",
            ])
    }

    @Test("A refusal answer next to a listing is a refusal, never a listing")
    func refusalWins() async {
        let resolver = DNSBLFakeResolver(a: ["2.0.0.127.bl.example": .records(["127.0.0.2", "127.255.255.255"])])
        let verdicts = await BlocklistChecker(lists: [Self.listed], resolver: resolver).check(
            address: MailCore.IPAddress("127.0.0.2")!)
        #expect(verdicts.map(\.outcome) == [.refused])
        #expect(verdicts.firstRejection == nil)
    }

    @Test("Domain lists: only .domain lists, the domain normalised")
    func domainLists() async {
        let resolver = Self.resolver()
        let checker = BlocklistChecker(lists: [Self.listed, Self.domains], resolver: resolver)
        let verdicts = await checker.check(domain: "SPAMMER.test.")
        #expect(verdicts.count == 1)
        #expect(verdicts[0].outcome == .listed(reason: "bad domain"))
        #expect(verdicts[0].subject == "spammer.test")
        #expect(await checker.check(domain: "good.test").map(\.outcome) == [.notListed])
        #expect(rejectionText(for: verdicts[0]) == "Domain spammer.test is listed in dbl.example: bad domain")
    }

    @Test("IPv6 clients are asked by nibbles")
    func ipv6() async {
        let resolver = Self.resolver()
        _ = await BlocklistChecker(lists: [Self.listed], resolver: resolver).check(address: MailCore.IPAddress("2001:db8::1")!)
        #expect(resolver.questions == ["A 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example"])
    }

    @Test("All lists are asked at once, not one after another")
    func concurrent() async {
        let gate = DNSBLGateResolver(expected: 3)
        let lists = ["a.example", "b.example", "c.example"].map { BlocklistConfiguration(zone: $0) }
        // Each lookup waits until all three have started: sequential lookups would never finish.
        let verdicts = await BlocklistChecker(lists: lists, resolver: gate).check(address: MailCore.IPAddress("127.0.0.2")!)
        #expect(verdicts.map(\.outcome) == [.notListed, .notListed, .notListed])
    }
}
