import DNS
import MailCore
import Testing

/// A response to "example.com <type>" with `answers` records written by `body`.
func response(type: UInt16, answers: UInt16, flags: UInt16 = 0x8180, ns: UInt16 = 0, _ body: (inout WireBuilder) -> Void)
    -> [UInt8]
{
    var wire = WireBuilder.header(flags: flags, an: answers, ns: ns)
    wire.question("example.com", type: type)
    body(&wire)
    return wire.bytes
}

@Suite("DNSMessage decoding")
struct MessageDecodingTests {
    @Test("A record; owner name is a pointer to the question")
    func aRecord() throws {
        let bytes = response(type: 1, answers: 1) { wire in
            wire.name("", pointer: questionOffset)
            wire.record(type: 1, ttl: 3600) { $0.raw([192, 0, 2, 1]) }
        }
        let message = try DNSMessage(decoding: bytes)
        #expect(message.id == 0x1234)
        #expect(message.isResponse && message.recursionAvailable && !message.isTruncated)
        #expect(message.responseCode == .noError)
        #expect(message.questions == [DNSQuestion(name: try DNSName("example.com"), type: .a)])
        #expect(message.answers.count == 1)
        #expect(message.answers[0].name == (try DNSName("example.com")))
        #expect(message.answers[0].ttl == 3600)
        #expect(message.answers[0].data == .a(IPAddress(octets: [192, 0, 2, 1])!))
        #expect(message.answers[0].data.type == .a)
    }

    @Test("AAAA record reads 16 octets and prints per RFC 5952")
    func aaaaRecord() throws {
        let bytes = response(type: 28, answers: 1) { wire in
            wire.name("", pointer: questionOffset)
            wire.record(type: 28) { $0.raw([0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]) }
        }
        let message = try DNSMessage(decoding: bytes)
        guard case .aaaa(let address) = message.answers.first?.data else {
            Issue.record("expected AAAA, got \(message.answers)")
            return
        }
        #expect(address.description == "2001:db8::1")
    }

    @Test("MX exchanges compressed against the question and against each other")
    func mxRecords() throws {
        let bytes = response(type: 15, answers: 2) { wire in
            wire.name("", pointer: questionOffset)
            var firstExchange: UInt16 = 0
            wire.record(type: 15) { rdata in
                rdata.u16(10)
                firstExchange = rdata.offset
                rdata.name("mx1", pointer: questionOffset)  // mx1.example.com
            }
            wire.name("", pointer: questionOffset)
            wire.record(type: 15) { rdata in
                rdata.u16(20)
                rdata.name("backup", pointer: firstExchange)  // backup.mx1.example.com
            }
        }
        let message = try DNSMessage(decoding: bytes)
        #expect(
            message.answers.map(\.data) == [
                .mx(preference: 10, exchange: try DNSName("mx1.example.com")),
                .mx(preference: 20, exchange: try DNSName("backup.mx1.example.com")),
            ])
    }

    @Test("TXT record keeps its character-strings apart; empty strings allowed")
    func txtRecord() throws {
        let bytes = response(type: 16, answers: 1) { wire in
            wire.name("", pointer: questionOffset)
            wire.record(type: 16) { rdata in
                for text in ["v=spf1 ", "", "-all"] {
                    rdata.u8(UInt8(text.utf8.count))
                    rdata.raw(Array(text.utf8))
                }
            }
        }
        let message = try DNSMessage(decoding: bytes)
        #expect(message.answers.first?.data == .txt([Array("v=spf1 ".utf8), [], Array("-all".utf8)]))
    }

    @Test("PTR record under in-addr.arpa")
    func ptrRecord() throws {
        var wire = WireBuilder.header(an: 1)
        wire.question("1.2.0.192.in-addr.arpa", type: 12)
        wire.name("", pointer: questionOffset)
        wire.record(type: 12) { $0.name("mail.example.com") }
        let message = try DNSMessage(decoding: wire.bytes)
        #expect(message.answers.first?.data == .ptr(try DNSName("mail.example.com")))
        #expect(message.answers.first?.name == (try DNSName("1.2.0.192.in-addr.arpa")))
    }

    @Test("CNAME then A: the A's owner is a pointer into the CNAME's RDATA")
    func cnameChain() throws {
        let bytes = response(type: 1, answers: 2) { wire in
            wire.name("www", pointer: questionOffset)
            var target: UInt16 = 0
            wire.record(type: 5) { rdata in
                target = rdata.offset
                rdata.name("web", pointer: questionOffset)
            }
            wire.name("", pointer: target)
            wire.record(type: 1) { $0.raw([198, 51, 100, 7]) }
        }
        let message = try DNSMessage(decoding: bytes)
        #expect(message.answers[0].name == (try DNSName("www.example.com")))
        #expect(message.answers[0].data == .cname(try DNSName("web.example.com")))
        #expect(message.answers[1].name == (try DNSName("web.example.com")))
        #expect(message.answers[1].data == .a(IPAddress("198.51.100.7")!))
    }

    @Test("NXDOMAIN with an SOA in the authority section")
    func nxdomainWithSOA() throws {
        let bytes = response(type: 1, answers: 0, flags: 0x8183, ns: 1) { wire in
            wire.name("", pointer: questionOffset + 8)  // "com"
            wire.record(type: 6, ttl: 900) { rdata in
                rdata.name("a.gtld-servers.net")
                rdata.name("nstld.verisign-grs", pointer: questionOffset + 8)
                for value: UInt32 in [2024, 1800, 900, 604800, 86400] { rdata.u32(value) }
            }
        }
        let message = try DNSMessage(decoding: bytes)
        #expect(message.responseCode == .nameError)
        #expect(message.answers.isEmpty)
        guard case .soa(let soa) = message.authority.first?.data else {
            Issue.record("expected SOA, got \(message.authority)")
            return
        }
        #expect(message.authority[0].name == (try DNSName("com")))
        #expect(soa.primaryServer == (try DNSName("a.gtld-servers.net")))
        #expect(soa.responsibleMailbox == (try DNSName("nstld.verisign-grs.com")))
        #expect([soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] == [2024, 1800, 900, 604800, 86400])
    }

    @Test("Unknown types are kept as raw RDATA and skipped over correctly")
    func unknownType() throws {
        let bytes = response(type: 1, answers: 2) { wire in
            wire.name("", pointer: questionOffset)
            wire.record(type: 46) { $0.raw([9, 9, 9, 9, 9]) }  // RRSIG, say
            wire.name("", pointer: questionOffset)
            wire.record(type: 1) { $0.raw([192, 0, 2, 2]) }
        }
        let message = try DNSMessage(decoding: bytes)
        #expect(
            message.answers.map(\.data) == [.other(DNSRecordType(rawValue: 46), [9, 9, 9, 9, 9]), .a(IPAddress("192.0.2.2")!)])
    }

    @Test("A response is matched to its query by ID and question")
    func matchingResponse() throws {
        let query = DNSMessage.query(DNSQuestion(name: try DNSName("EXAMPLE.com"), type: .a), id: 0x1234)
        let bytes = response(type: 1, answers: 0) { _ in }
        let message = try DNSMessage(decodingResponse: bytes, to: query)
        #expect(message.questions.count == 1)
    }

    @Test("A response with another ID is rejected")
    func idMismatch() throws {
        let query = DNSMessage.query(DNSQuestion(name: try DNSName("example.com"), type: .a), id: 0x4321)
        let bytes = response(type: 1, answers: 0) { _ in }
        #expect(throws: DNSWireError.idMismatch(expected: 0x4321, received: 0x1234)) {
            try DNSMessage(decodingResponse: bytes, to: query)
        }
    }

    @Test(
        "A response to another question is rejected",
        arguments: [
            ("example.org", DNSRecordType.a), ("example.com", .aaaa), ("www.example.com", .a),
        ])
    func questionMismatch(name: String, type: DNSRecordType) throws {
        let query = DNSMessage.query(DNSQuestion(name: try DNSName(name), type: type), id: 0x1234)
        let bytes = response(type: 1, answers: 0) { _ in }
        #expect(throws: DNSWireError.questionMismatch) { try DNSMessage(decodingResponse: bytes, to: query) }
    }

    @Test("A response without a question is rejected unless it is truncated")
    func missingQuestion() throws {
        let query = DNSMessage.query(DNSQuestion(name: try DNSName("example.com"), type: .a), id: 0x1234)
        let plain = WireBuilder.header(qd: 0).bytes
        #expect(throws: DNSWireError.questionMismatch) { try DNSMessage(decodingResponse: plain, to: query) }
        let truncated = WireBuilder.header(flags: 0x8380, qd: 0).bytes
        #expect(try DNSMessage(decodingResponse: truncated, to: query).isTruncated)
    }

    @Test("A query coming back (QR clear) is not a response")
    func notAResponse() throws {
        let query = DNSMessage.query(DNSQuestion(name: try DNSName("example.com"), type: .a), id: 0x1234)
        #expect(throws: DNSWireError.notAResponse) { try DNSMessage(decodingResponse: query.encoded(), to: query) }
    }
}
