import DNS
import MailCore
import Testing

@Suite("Interpreting a response")
struct AnswerInterpretationTests {
    let question = DNSQuestion(name: try! DNSName("www.example.test"), type: .a)

    @Test("Records of the asked type; TTL is the least in the RRset")
    func records() throws {
        let reply = Reply.records([
            Reply.a("www.example.test", "192.0.2.1", ttl: 300), Reply.a("WWW.example.test", "192.0.2.2", ttl: 120),
            Reply.a("other.example.test", "192.0.2.3", ttl: 5),
        ])
        let answer = try DNSAnswer.interpret(reply, for: question, maximumHops: 8)
        #expect(answer == .records([.a(IPAddress("192.0.2.1")!), .a(IPAddress("192.0.2.2")!)], ttl: 120))
    }

    @Test("A CNAME chain inside the response is followed; its TTLs count")
    func chainInResponse() throws {
        let reply = Reply.records([
            Reply.a("web.example.test", "192.0.2.9", ttl: 300),
            Reply.cname("www.example.test", "front.example.test", ttl: 60),
            Reply.cname("front.example.test", "web.example.test", ttl: 600),
        ])
        let answer = try DNSAnswer.interpret(reply, for: question, maximumHops: 8)
        #expect(answer == .records([.a(IPAddress("192.0.2.9")!)], ttl: 60))
    }

    @Test("A CNAME without the target's records, and no SOA: ask again for the target")
    func aliasToFollow() throws {
        let reply = Reply.records([Reply.cname("www.example.test", "web.example.test", ttl: 90)])
        let answer = try DNSAnswer.interpret(reply, for: question, maximumHops: 8)
        #expect(answer == .alias(target: try DNSName("web.example.test"), ttl: 90, hops: 1))
    }

    @Test("A CNAME with an SOA and no records: NODATA at the end of the chain")
    func aliasNoData() throws {
        let reply = Reply.records(
            [Reply.cname("www.example.test", "web.example.test", ttl: 90)],
            authority: [Reply.soa("example.test", ttl: 3600, minimum: 300)])
        #expect(try DNSAnswer.interpret(reply, for: question, maximumHops: 8) == .noData(negativeTTL: 90))
    }

    @Test("A chain longer than the limit, or a loop, is a server failure")
    func chainTooLong() throws {
        let loop = Reply.records([
            Reply.cname("www.example.test", "a.example.test"), Reply.cname("a.example.test", "www.example.test"),
        ])
        #expect(throws: DNSError.self) { try DNSAnswer.interpret(loop, for: question, maximumHops: 8) }
        let two = Reply.records([
            Reply.cname("www.example.test", "a.example.test"), Reply.cname("a.example.test", "b.example.test"),
        ])
        #expect(throws: DNSError.self) { try DNSAnswer.interpret(two, for: question, maximumHops: 1) }
        #expect(
            try DNSAnswer.interpret(two, for: question, maximumHops: 2)
                == .alias(target: try DNSName("b.example.test"), ttl: 300, hops: 2))
    }

    @Test(
        "Negative TTL is min(SOA TTL, SOA MINIMUM) (RFC 2308 § 5)",
        arguments: [
            (UInt32(3600), UInt32(300), UInt32(300)), (60, 300, 60),
        ])
    func negativeTTL(soaTTL: UInt32, minimum: UInt32, expected: UInt32) throws {
        let nx = Reply.records([], code: .nameError, authority: [Reply.soa("example.test", ttl: soaTTL, minimum: minimum)])
        #expect(try DNSAnswer.interpret(nx, for: question, maximumHops: 8) == .nameError(negativeTTL: expected))
        let nodata = Reply.records([], authority: [Reply.soa("example.test", ttl: soaTTL, minimum: minimum)])
        #expect(try DNSAnswer.interpret(nodata, for: question, maximumHops: 8) == .noData(negativeTTL: expected))
    }

    @Test("Negative answers without an SOA have no TTL: not cached")
    func negativeWithoutSOA() throws {
        #expect(
            try DNSAnswer.interpret(Reply.records([], code: .nameError), for: question, maximumHops: 8)
                == .nameError(negativeTTL: nil))
        #expect(try DNSAnswer.interpret(Reply.records([]), for: question, maximumHops: 8) == .noData(negativeTTL: nil))
    }

    @Test(
        "Error RCODEs are temporary server failures",
        arguments: [DNSResponseCode.serverFailure, .refused, .formatError, .notImplemented])
    func errorCodes(code: DNSResponseCode) {
        #expect(throws: DNSError.serverFailure("\(code) for www.example.test A")) {
            try DNSAnswer.interpret(Reply.records([], code: code), for: question, maximumHops: 8)
        }
    }

    @Test("TTLs with the top bit set count as zero (RFC 2181 § 8)")
    func hugeTTL() throws {
        let reply = Reply.records([Reply.a("www.example.test", "192.0.2.1", ttl: 0x8000_0000)])
        #expect(try DNSAnswer.interpret(reply, for: question, maximumHops: 8) == .records([.a(IPAddress("192.0.2.1")!)], ttl: 0))
    }
}
