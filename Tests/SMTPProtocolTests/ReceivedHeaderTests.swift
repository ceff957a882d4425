import Foundation
import MailCore
import SMTPProtocol
import Testing

@Suite("Received header (RFC 5321 § 4.4)")
struct ReceivedHeaderTests {
    static let date = Date(timeIntervalSince1970: 1_795_990_086)  // Sun, 29 Nov 2026 22:08:06 +0000
    static let alice = EnvelopePath.mailbox(Mailbox(localPart: "alice", domain: .name("example.test")))
    static let carol = EnvelopePath.mailbox(Mailbox(localPart: "carol", domain: .name("example.test")))

    static func make(
        helloName: String? = "client.test", protocolName: String = "ESMTPS", tls: TLSInfo? = nil,
        recipients: [EnvelopePath] = [alice]
    ) -> String {
        ReceivedHeader.make(
            helloName: helloName, clientAddress: "192.0.2.10", hostname: "mx.example.test", protocolName: protocolName,
            id: QueueID(rawValue: "S.1A2B3C"), tls: tls, recipients: recipients, date: date)
    }

    @Test("The whole header, with TLS and one recipient")
    func whole() {
        let header = Self.make(tls: TLSInfo(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256"))
        #expect(header == "Received: from client.test ([192.0.2.10])\r\n"
            + "\tby mx.example.test (SIMS) with ESMTPS id S.1A2B3C\r\n"
            + "\t(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256)\r\n"
            + "\tfor <alice@example.test>; Sun, 29 Nov 2026 22:08:06 +0000\r\n")
    }

    @Test("It names the HELO name, the client address in brackets, the protocol and the queue id")
    func parts() {
        let header = Self.make()
        #expect(header.hasPrefix("Received: from client.test ([192.0.2.10])\r\n"))
        #expect(header.contains("\tby mx.example.test (SIMS) with ESMTPS id S.1A2B3C"))
        #expect(!header.contains("(using"))
    }

    @Test("An IPv6 client is shown as an RFC 5321 IPv6 address literal")
    func ipv6Client() {
        let header = ReceivedHeader.make(
            helloName: "client.test", clientAddress: "2001:db8::5", hostname: "mx.example.test", protocolName: "ESMTP",
            id: QueueID(rawValue: "S.1A2B3C"), tls: nil, recipients: [Self.alice], date: Self.date)
        #expect(header.hasPrefix("Received: from client.test ([IPv6:2001:db8::5])\r\n"))
    }

    @Test("It ends with '; ' and the RFC 5322 date, then CR LF")
    func date() {
        #expect(Self.make().hasSuffix("; Sun, 29 Nov 2026 22:08:06 +0000\r\n"))
        #expect(Self.make(recipients: []).hasSuffix("S.1A2B3C; Sun, 29 Nov 2026 22:08:06 +0000\r\n"))
    }

    @Test("'for <x>' appears only with exactly one recipient (no Bcc disclosure)")
    func forClause() {
        #expect(Self.make(recipients: [Self.alice]).contains("\tfor <alice@example.test>;"))
        #expect(!Self.make(recipients: []).contains("for "))
        #expect(!Self.make(recipients: [Self.alice, Self.carol]).contains("for "))
        #expect(!Self.make(recipients: [Self.alice, Self.carol]).contains("carol"))
    }

    @Test("A missing HELO name shows as 'unknown'")
    func unknownHello() {
        #expect(Self.make(helloName: nil).hasPrefix("Received: from unknown ([192.0.2.10])\r\n"))
    }

    @Test("A hostile HELO name cannot break the header", arguments: [
        "evil.test)\r\nX-Injected: yes (",
        "mx.example.test (really the trusted host) ",
        "a\rb\nc",
        "((((",
        "x\u{0}y\u{7F}z\u{85}w\u{2028}v",
        "caf\u{E9}.test",
        String(repeating: "a", count: 10_000),
    ])
    func hostileHello(_ name: String) {
        let header = Self.make(helloName: name, recipients: [Self.alice])
        let lines = header.components(separatedBy: "\r\n")
        // Exactly the expected lines: "Received:", "\tby", "\tfor", and the empty rest after the final CR LF.
        #expect(lines.count == 4)
        #expect(lines.last == "")
        #expect(lines[0].hasPrefix("Received: from "))
        #expect(lines.dropFirst().dropLast().allSatisfy { $0.hasPrefix("\t") })
        // No stray CR or LF anywhere, no non-ASCII and no control characters.
        let withoutLineBreaks = lines.joined()
        #expect(withoutLineBreaks.unicodeScalars.allSatisfy { $0 == "\t" || (32...126).contains($0.value) })
        // The from clause has exactly one comment, the real client address.
        let from = lines[0].dropFirst("Received: from ".count)
        #expect(from.hasSuffix(" ([192.0.2.10])"))
        let name = from.dropLast(" ([192.0.2.10])".count)
        #expect(!name.contains("(") && !name.contains(")") && !name.contains(" "))
        #expect(name.count <= 255)
    }

    @Test("End to end: the name a client gives in EHLO is sanitized in the header")
    func throughSession() {
        var harness = SessionHarness()
        harness.send(crlf("EHLO x)(by.trusted.test"))
        let name = harness.session.helloName
        #expect(name == "x)(by.trusted.test")
        let header = Self.make(helloName: name, protocolName: harness.session.receivedProtocol)
        #expect(header.hasPrefix("Received: from x??by.trusted.test ([192.0.2.10])\r\n\tby mx.example.test (SIMS) with ESMTP id "))
    }

    @Test("With the session's protocol and a generated id: 'with ESMTPS id S.'")
    func esmtpsFromSession() {
        var harness = SessionHarness { $0.startTLSAvailable = true }
        harness.send(crlf("EHLO client.test", "STARTTLS"))
        harness.send(crlf("EHLO client.test"))
        let id = QueueIDGenerator().next(now: Self.date)
        let header = ReceivedHeader.make(
            helloName: harness.session.helloName, clientAddress: harness.session.clientAddress, hostname: "mx.example.test",
            protocolName: harness.session.receivedProtocol, id: id, tls: harness.session.tls, recipients: [Self.alice],
            date: Self.date)
        #expect(header.contains(" with ESMTPS id S."))
        #expect(header.contains("id \(id.rawValue)\r\n\t(using TLSv1.3"))
    }
}

@Suite("Received header for authenticated submissions")
struct ReceivedHeaderPrivacyTests {
    @Test("With hideClientAddress the client's IP is not in the header")
    func hidden() {
        let header = ReceivedHeader.make(
            helloName: "laptop", clientAddress: "198.51.100.23", hostname: "mx.example.test", protocolName: "ESMTPSA",
            id: QueueID(rawValue: "S.1"), tls: TLSInfo(version: "TLSv1.3"), recipients: [], date: Date(timeIntervalSince1970: 0),
            hideClientAddress: true)
        #expect(!header.contains("198.51.100.23"))
        #expect(header.hasPrefix("Received: from laptop (authenticated sender, address not shown)\r\n"))
        #expect(header.contains("with ESMTPSA id S.1"))
    }
}
