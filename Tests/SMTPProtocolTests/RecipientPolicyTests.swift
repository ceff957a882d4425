import MailCore
import SMTPProtocol
import Testing

@Suite("RecipientPolicy: who gets accepted at RCPT")
struct RecipientPolicyTests {
    static let alice = EnvelopePath.mailbox(Mailbox(localPart: "alice", domain: .name("example.test")))
    static let remote = EnvelopePath.mailbox(Mailbox(localPart: "user", domain: .name("remote.test")))

    @Test("A local mailbox is accepted for delivery to its accounts")
    func local() {
        let decision = RecipientPolicy.decide(Self.alice, resolution: .accounts(["alice@example.test"]), clientAddress: "192.0.2.10")
        #expect(decision.verdict == .accept(.local(accounts: ["alice@example.test"])))
        #expect(decision.logText.hasPrefix("accepted: "))
        #expect(decision.logText.contains("alice@example.test"))
    }

    @Test("An alias with several targets delivers to all of them")
    func alias() {
        let targets = ["alice@example.test", "carol@example.test"]
        let decision = RecipientPolicy.decide(Self.alice, resolution: .accounts(targets), clientAddress: "192.0.2.10")
        #expect(decision.verdict == .accept(.local(accounts: targets)))
    }

    @Test("An unknown user in a local domain is 550 5.1.1, at RCPT time")
    func unknownUser() {
        let decision = RecipientPolicy.decide(Self.alice, resolution: .unknownUser, clientAddress: "192.0.2.10")
        #expect(decision.verdict == .reject(SMTPReply(550, .init(5, 1, 1), "No such user here")))
        #expect(decision.logText.hasPrefix("refused"))
    }

    @Test("A non-local recipient is refused as relaying, 554 5.7.1, with the client named in the log", arguments: [
        "192.0.2.10", "2001:db8::1", "127.0.0.1",
    ])
    func relayDenied(_ client: String) {
        let decision = RecipientPolicy.decide(Self.remote, resolution: .notLocal, clientAddress: client)
        #expect(decision.verdict == .reject(SMTPReply(554, .init(5, 7, 1), "Relay access denied")))
        #expect(decision.logText.hasPrefix("refused relay"))
        #expect(decision.logText.contains(client))
    }

    @Test("Even loopback and the local postmaster path get no relay: only the resolution decides")
    func resolutionDecides() {
        for path in [Self.alice, Self.remote, EnvelopePath.localPostmaster] {
            let decision = RecipientPolicy.decide(path, resolution: .notLocal, clientAddress: "127.0.0.1")
            #expect(decision.verdict == .reject(Replies.relayDenied))
        }
    }
}
