import MailCore
import SMTPProtocol
import Testing

/// One classic way of sneaking a remote recipient past a relay check.
struct RelayTrick: Sendable, CustomTestStringConvertible {
    var address: String
    /// Whether MAIL FROM carried SMTPUTF8.
    var smtpUTF8 = false
    /// The RCPT reply, e.g. "550 5.1.1".
    var expected: String

    var testDescription: String { "\(address)\(smtpUTF8 ? " (SMTPUTF8)" : "") → \(expected)" }
}

/// Promise 1 of SIMS: no open relay. With example.test the only local domain
/// and alice its only user, none of these may end in an accepted recipient
/// anywhere but example.test.
@Suite("No open relay: address tricks through the whole session")
struct RelayTrickTests {
    static let tricks: [RelayTrick] = [
        // Read as local mailboxes of example.test, which do not exist there.
        RelayTrick(address: "user%remote.test@example.test", expected: "550 5.1.1"),
        RelayTrick(address: "remote.test!user@example.test", expected: "550 5.1.1"),
        RelayTrick(address: "\"user@remote.test\"@example.test", expected: "550 5.1.1"),
        RelayTrick(address: "\"user%remote.test\"@example.test", expected: "550 5.1.1"),
        RelayTrick(address: "alice%remote.test@example.test", expected: "550 5.1.1"),
        // Source routes are ignored: the destination is remote.
        RelayTrick(address: "@example.test:user@remote.test", expected: "554 5.7.1"),
        RelayTrick(address: "@example.test,@example.test:alice@remote.test", expected: "554 5.7.1"),
        // Remote domains, however written.
        RelayTrick(address: "user@remote.test", expected: "554 5.7.1"),
        RelayTrick(address: "USER@REMOTE.TEST", expected: "554 5.7.1"),
        RelayTrick(address: "alice@EXAMPLE.TEST.remote.test", expected: "554 5.7.1"),
        RelayTrick(address: "alice@example.testremote.test", expected: "554 5.7.1"),
        RelayTrick(address: "user@[192.0.2.1]", expected: "554 5.7.1"),
        RelayTrick(address: "user@[IPv6:2001:db8::1]", expected: "554 5.7.1"),
        RelayTrick(address: "user@[127.0.0.1]", expected: "554 5.7.1"),
        RelayTrick(address: "user@r\u{E9}mote.test", smtpUTF8: true, expected: "554 5.7.1"),
        RelayTrick(address: "\u{FC}ser@remote.test", smtpUTF8: true, expected: "554 5.7.1"),
        // Ambiguous syntax is refused outright.
        RelayTrick(address: "user@remote.test@example.test", expected: "501 5.1.3"),
        RelayTrick(address: "user@example.test@remote.test", expected: "501 5.1.3"),
        RelayTrick(address: "user@remote.test.", expected: "501 5.1.3"),
        RelayTrick(address: "alice@example.test.", expected: "501 5.1.3"),
        RelayTrick(address: "remote.test!user", expected: "501 5.1.3"),
        RelayTrick(address: "user@remote.test>,<alice@example.test", expected: "501 5.1.3"),
        RelayTrick(address: "user@remote.test> <alice@example.test", expected: "555 5.5.4"),
        // UTF-8 without SMTPUTF8.
        RelayTrick(address: "\u{FC}ser@remote.test", expected: "553 5.6.7"),
        RelayTrick(address: "alice@ex\u{E4}mple.test", expected: "553 5.6.7"),
    ]

    @Test("Each trick is refused at RCPT with the right code, and nothing is delivered", arguments: tricks)
    func trick(_ trick: RelayTrick) {
        var harness = SessionHarness()
        harness.send(crlf(
            "EHLO client.test",
            "MAIL FROM:<bob@remote.test>\(trick.smtpUTF8 ? " SMTPUTF8" : "")",
            "RCPT TO:<\(trick.address)>",
            "DATA"))
        let statuses = harness.replies.map(\.status)
        #expect(statuses.count == 5)
        #expect(statuses.dropFirst(3).first == trick.expected)
        // DATA must not open a message: 554 (no valid recipients) or 503 (no RCPT at all).
        #expect(statuses.last == "554 5.5.1" || statuses.last == "503 5.5.1")
        #expect(!harness.session.isReadingData)
        #expect(harness.acceptedRecipients.isEmpty)
        #expect(harness.deliveries.isEmpty)
        Self.expectNoRemoteAcceptance(harness)
    }

    @Test("All tricks in one transaction, next to a real local recipient: only alice@example.test gets the message")
    func allTricksInOneTransaction() {
        var harness = SessionHarness { $0.maximumErrors = 1_000 }
        harness.send(crlf("EHLO client.test", "MAIL FROM:<bob@remote.test> SMTPUTF8"))
        for trick in Self.tricks { harness.send(crlf("RCPT TO:<\(trick.address)>")) }
        harness.send(crlf("RCPT TO:<alice@example.test>", "DATA", "hello", "."))
        #expect(harness.deliveries.count == 1)
        let recipients = harness.deliveries.first?.recipients ?? []
        #expect(recipients.map(\.destination) == [.local(accounts: ["alice@example.test"])])
        Self.expectNoRemoteAcceptance(harness)
    }

    @Test("The local-part tricks are looked up as local mailboxes of example.test, never as remote.test")
    func lookedUpLocally() {
        var harness = SessionHarness { $0.maximumErrors = 1_000 }
        harness.send(crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test>",
            "RCPT TO:<user%remote.test@example.test>", "RCPT TO:<remote.test!user@example.test>",
            "RCPT TO:<\"user@remote.test\"@example.test>"))
        #expect(harness.checks.map(\.path.mailbox?.domain) == Array(repeating: MailDomain?.some(.name("example.test")), count: 3))
        #expect(harness.checks.map(\.resolution) == Array(repeating: .unknownUser, count: 3))
    }

    @Test("Control: the real local user is accepted in any case")
    func control() {
        var harness = SessionHarness()
        harness.send(crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>", "RCPT TO:<ALICE@EXAMPLE.TEST>"))
        #expect(harness.replies(after: 3).map(\.status) == ["250 2.0.0", "250 2.0.0"])
    }

    /// Every decision the session acted on accepts only local accounts on example.test.
    static func expectNoRemoteAcceptance(_ harness: SessionHarness, sourceLocation: SourceLocation = #_sourceLocation) {
        for check in harness.checks {
            if case .accept = check.decision.verdict {
                #expect(check.path.mailbox?.domain == .name("example.test") || check.path == .localPostmaster,
                    "accepted \(check.path)", sourceLocation: sourceLocation)
                guard case .accounts(let accounts) = check.resolution else {
                    Issue.record("accepted \(check.path) with resolution \(check.resolution)", sourceLocation: sourceLocation)
                    continue
                }
                #expect(accounts.allSatisfy { $0.hasSuffix("@example.test") }, sourceLocation: sourceLocation)
            } else if check.path.mailbox?.domain != .name("example.test") {
                #expect(check.resolution == .notLocal, "\(check.path)", sourceLocation: sourceLocation)
                #expect(check.decision.verdict == .reject(SMTPReply(554, .init(5, 7, 1), "Relay access denied")),
                    sourceLocation: sourceLocation)
            }
        }
        for recipient in harness.acceptedRecipients {
            #expect(recipient.path.mailbox?.domain == .name("example.test") || recipient.path == .localPostmaster,
                "accepted \(recipient.path)", sourceLocation: sourceLocation)
        }
    }
}
