import DNS
import MailCore
import Testing

@Suite("DNSMessage encoding")
struct MessageEncodingTests {
    @Test("A query is header, RD set, one question, in RFC 1035 § 4.1 layout")
    func queryBytes() throws {
        let question = DNSQuestion(name: try DNSName("example.com"), type: .mx)
        let bytes = DNSMessage.query(question, id: 0xABCD).encoded()
        let expected: [UInt8] = [
            0xAB, 0xCD,  // ID
            0x01, 0x00,  // QR=0 OPCODE=0 AA=0 TC=0 RD=1; RA=0 Z=0 RCODE=0
            0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // QDCOUNT=1, others 0
            7, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65,  // "example"
            3, 0x63, 0x6F, 0x6D, 0,  // "com", root
            0x00, 0x0F,  // QTYPE MX
            0x00, 0x01,  // QCLASS IN
        ]
        #expect(bytes == expected)
    }

    @Test("A trailing dot and upper case are kept as written: the name is the same")
    func fullyQualified() throws {
        let a = DNSMessage.query(DNSQuestion(name: try DNSName("Example.COM."), type: .a), id: 1).encoded()
        let b = DNSMessage.query(DNSQuestion(name: try DNSName("Example.COM"), type: .a), id: 1).encoded()
        #expect(a == b)
        #expect(a[13...19] == ArraySlice("Example".utf8))
    }

    @Test("Query IDs vary")
    func randomID() throws {
        let question = DNSQuestion(name: try DNSName("example.com"), type: .a)
        let ids = Set((0..<32).map { _ in DNSMessage.query(question).id })
        #expect(ids.count > 1)
    }

    @Test("A whole response survives encode then decode, every record type included")
    func roundTrip() throws {
        let owner = try DNSName("example.test")
        let message = DNSMessage(
            id: 77, isResponse: true, isAuthoritative: true, recursionAvailable: true, responseCode: .noError,
            questions: [DNSQuestion(name: owner, type: .txt)],
            answers: [
                DNSResourceRecord(name: owner, ttl: 60, data: .a(IPAddress("192.0.2.1")!)),
                DNSResourceRecord(name: owner, ttl: 60, data: .aaaa(IPAddress("2001:db8::1")!)),
                DNSResourceRecord(name: owner, ttl: 60, data: .mx(preference: 10, exchange: try DNSName("mx.example.test"))),
                DNSResourceRecord(name: owner, ttl: 60, data: .txt([Array("one".utf8), Array("two".utf8)])),
                DNSResourceRecord(name: owner, ttl: 60, data: .ptr(try DNSName("host.example.test"))),
                DNSResourceRecord(name: owner, ttl: 60, data: .cname(try DNSName("other.example.test"))),
                DNSResourceRecord(name: owner, ttl: 60, data: .other(DNSRecordType(rawValue: 99), [1, 2, 3])),
            ],
            authority: [
                DNSResourceRecord(
                    name: owner, ttl: 900,
                    data: .soa(
                        DNSStartOfAuthority(
                            primaryServer: try DNSName("ns.example.test"),
                            responsibleMailbox: try DNSName("hostmaster.example.test"),
                            serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5)))
            ])
        #expect(try DNSMessage(decoding: message.encoded()) == message)
    }

    @Test("TXT text over 255 octets goes out as several character-strings")
    func longTXT() throws {
        let owner = try DNSName("t.test")
        let long = [UInt8](repeating: 0x78, count: 600)
        let message = DNSMessage(id: 1, isResponse: true, answers: [DNSResourceRecord(name: owner, ttl: 1, data: .txt([long]))])
        let decoded = try DNSMessage(decoding: message.encoded())
        guard case .txt(let strings) = decoded.answers.first?.data else {
            Issue.record("no TXT record")
            return
        }
        #expect(strings.map(\.count) == [255, 255, 90])
        #expect(strings.joined().count == 600)
    }
}
