import Testing

@testable import MailCore

@Suite("Account and alias local parts (issue 11: no shared Maildirs, no patterns)")
struct AccountLocalPartTests {
    @Test(
        "Ordinary local parts are allowed",
        arguments: ["alice", "Alice", "a", "j.doe", "first-last", "no_reply", "x1", "0day", String(repeating: "a", count: 64)])
    func allowed(_ localPart: String) {
        #expect(AccountLocalPart.isAllowed(localPart))
    }

    @Test(
        "Local parts that would share a Maildir, climb out of it, or act as a pattern are refused",
        arguments: [
            "", "bob/x", "bob//x", "*", "*bob", "bob*", ".bob", "bob.", "bo..b", "..", ".", "-bob", "_bob", "bob%remote",
            "bob!x", "bob+tag", "\"bob\"", "bob x", "bob\0", "bøb", "bob\\x", "bob=x", "bob'x", "bob@x",
            String(repeating: "a", count: 65),
        ])
    func refused(_ localPart: String) {
        #expect(!AccountLocalPart.isAllowed(localPart))
    }
}

@Suite("Sender ownership keeps patterns apart from addresses")
struct SenderOwnershipTests {
    func mailbox(_ local: String, _ domain: String) -> Mailbox { Mailbox(localPart: local, domain: .name(domain)) }

    @Test("An address that looks like a pattern is only that address")
    func addressIsNotAPattern() {
        let owned = SenderOwnership(addresses: ["*@example.test", "*"])
        #expect(!owned.owns(mailbox("ceo", "example.test")))
        #expect(!owned.owns(mailbox("anyone", "elsewhere.test")))
        #expect(owned.owns(mailbox("*", "example.test")), "the literal address, nothing more")
    }

    @Test("Domain and everyone patterns are granted explicitly")
    func patterns() {
        let domain = SenderOwnership(addresses: ["alice@example.test"], domains: ["example.test"])
        #expect(domain.owns(mailbox("Newsletter", "example.test")))
        #expect(!domain.owns(mailbox("ceo", "elsewhere.test")))
        #expect(!domain.owns(Mailbox(localPart: "x", domain: .addressLiteral("192.0.2.1"))))
        #expect(SenderOwnership(addresses: [], anyAddress: true).owns(mailbox("ceo", "elsewhere.test")))
        #expect(domain.listing == ["*@example.test", "alice@example.test"])
    }

    @Test("Addresses compare without case")
    func caseInsensitive() {
        let owned: SenderOwnership = ["Alice@Example.test"]
        #expect(owned.owns(mailbox("ALICE", "example.test")))
        #expect(!owned.owns(mailbox("bob", "example.test")))
    }
}
