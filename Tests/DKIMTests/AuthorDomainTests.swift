import Testing

@testable import DKIM

@Suite("The author's domain (the one From mailbox)")
struct AuthorDomainTests {
    static func domain(_ header: String) -> String? {
        AuthorDomain.domain(in: DKIMHeaderField.fields(in: Array((header + "\r\n").utf8)))
    }

    @Test("One mailbox, in its usual forms")
    func oneMailbox() {
        #expect(Self.domain("From: alice@Sims.Test") == "sims.test")
        #expect(Self.domain("From: Alice <alice@sims.test>") == "sims.test")
        #expect(Self.domain("From: \"Doe, Alice\" <alice@sims.test>") == "sims.test")
        #expect(Self.domain("From: alice@sims.test (Alice, at work)") == "sims.test")
        #expect(Self.domain("From: \"a b\"@sims.test") == "sims.test")
        #expect(Self.domain("From: Alice\r\n <alice@sims.test>") == "sims.test")
    }

    @Test("No From, two From fields, several mailboxes, groups and junk give nothing")
    func refused() {
        #expect(Self.domain("To: alice@sims.test") == nil)
        #expect(Self.domain("From: alice@sims.test\r\nFrom: mallory@evil.test") == nil)
        #expect(Self.domain("From: alice@sims.test, mallory@evil.test") == nil)
        #expect(Self.domain("From: friends: alice@sims.test;") == nil)
        #expect(Self.domain("From: <alice@sims.test> <m@evil.test>") == nil)
        #expect(Self.domain("From: alice") == nil)
        #expect(Self.domain("From: alice@sims.test@evil.test") == nil)
        #expect(Self.domain("From: alice@[192.0.2.1]") == nil)
        #expect(Self.domain("From: \"unterminated <alice@sims.test>") == nil)
        #expect(Self.domain("From: alice@sims..test") == nil)
    }
}
