import DNS
import MailCore
import Testing

@testable import AntiSpam

@Suite struct ReturnPathTests {
    let resolver = StubbedResolver(
        StubbedResolver.Zone(
            a: ["mx.sender.test": ["203.0.113.5"], "host.sender.test": ["203.0.113.6"], "nothing.sender.test": []],
            aaaa: ["v6host.sender.test": ["2001:db8::6"]],
            mx: [
                "sender.test": [MXRecord(preference: 10, exchange: "mx.sender.test")],
                "nomail.sender.test": [MXRecord(preference: 0, exchange: ".")],
            ],
            failing: ["slow.test"]))

    func verify(_ domain: String) async -> ReturnPathVerdict {
        await ReturnPathVerifier(resolver: resolver).verify(domain: domain)
    }

    @Test func domainWithMXIsAcceptedWithOneQuery() async {
        let verdict = await verify("sender.test")
        #expect(verdict.outcome == .mailExchanger && verdict.isAccepted && verdict.reply == nil)
        #expect(resolver.asked == ["MX sender.test"])
    }

    @Test func implicitMXFromAnAddress() async {
        #expect(await verify("host.sender.test").outcome == .address)
        #expect(await verify("v6host.sender.test").outcome == .address)
    }

    @Test func nonexistentDomainIsRefused() async {
        let verdict = await verify("example.invalid")
        #expect(verdict.outcome == .noSuchDomain && !verdict.isAccepted)
        #expect(verdict.reply == SMTPReply(550, .init(5, 1, 8), "Sender address rejected: domain example.invalid does not exist"))
        #expect(verdict.description == "example.invalid does not exist (NXDOMAIN), refused")
    }

    @Test func domainWithoutMXOrAddressIsRefused() async {
        let verdict = await verify("nothing.sender.test")
        #expect(verdict.outcome == .noMailExchanger)
        #expect(
            verdict.reply
                == SMTPReply(550, .init(5, 1, 8), "Sender address rejected: domain nothing.sender.test has no mail exchanger"))
    }

    @Test func nullMXIsRefused() async {
        let verdict = await verify("nomail.sender.test")
        #expect(verdict.outcome == .nullMX)
        #expect(verdict.reply?.code == 550 && verdict.reply?.enhanced == EnhancedStatusCode(5, 7, 27))
    }

    @Test func temporaryFailureDefers() async {
        let verdict = await verify("slow.test")
        guard case .temporaryFailure = verdict.outcome else {
            Issue.record("expected a temporary failure, got \(verdict.outcome)")
            return
        }
        #expect(verdict.severity == .undetermined)
        #expect(verdict.reply?.code == 450 && verdict.reply?.enhanced == EnhancedStatusCode(4, 1, 8))
    }

    @Test func nullPathAndLiteralsAreNotChecked() async {
        let verifier = ReturnPathVerifier(resolver: resolver)
        #expect(await verifier.verify(path: .null).outcome == .notChecked)
        let literal = EnvelopePath.mailbox(Mailbox(localPart: "a", domain: .addressLiteral("192.0.2.1")))
        #expect(await verifier.verify(path: literal).outcome == .notChecked)
        #expect(resolver.asked.isEmpty)
        let real = EnvelopePath.mailbox(Mailbox(localPart: "a", domain: .name("example.invalid")))
        #expect(await verifier.verify(path: real).outcome == .noSuchDomain)
    }
}
