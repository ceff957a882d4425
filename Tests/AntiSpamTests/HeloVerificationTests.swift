import DNS
import MailCore
import Testing

@testable import AntiSpam

@Suite struct HeloVerificationTests {
    static let zone = StubbedResolver.Zone(
        a: [
            "mail.sender.test": ["203.0.113.5"], "other.sender.test": ["198.51.100.1", "198.51.100.2"], "v6only.sender.test": [],
        ],
        aaaa: ["v6.sender.test": ["2001:db8::5"], "v6only.sender.test": ["2001:db8::9"]],
        mx: ["empty.sender.test": []],
        failing: ["slow.sender.test"])

    let resolver = StubbedResolver(zone)

    func verifier() -> HeloVerifier {
        HeloVerifier(
            resolver: resolver, ourHostnames: ["MX.Example.TEST"], localDomains: { ["example.test", "Other.Test"] },
            ourAddresses: ["192.0.2.25", "2001:db8::25"])
    }

    func verify(_ helo: String, from client: String = "203.0.113.5") async -> HeloVerdict {
        await verifier().verify(helo: helo, clientAddress: client)
    }

    @Test func forwardConfirmedName() async {
        let verdict = await verify("Mail.Sender.Test.")
        #expect(verdict.outcome == .forwardConfirmed)
        #expect(verdict.isVerified && verdict.severity == .pass && verdict.severity.logLevel == 4)
        #expect(verdict.logText == "HELO verified: Mail.Sender.Test. resolves to [203.0.113.5]")
        #expect(verdict.receivedFrom == "Mail.Sender.Test. (mail.sender.test [203.0.113.5])")
    }

    @Test func forwardConfirmedIPv6() async {
        let verdict = await verify("v6.sender.test", from: "2001:0db8:0:0::5")
        #expect(verdict.outcome == .forwardConfirmed)
        #expect(verdict.receivedFrom == "v6.sender.test (v6.sender.test [IPv6:2001:db8::5])")
    }

    @Test func mismatchKeepsTheOriginalWording() async {
        let verdict = await verify("other.sender.test")
        #expect(verdict.outcome == .mismatch(resolved: ["198.51.100.1", "198.51.100.2"]))
        #expect(verdict.severity == .suspicious && verdict.severity.logLevel == 3)
        #expect(
            verdict.logText
                == "HELO hurdle: failed to verify, real address is [203.0.113.5]"
                + " (other.sender.test resolves to 198.51.100.1, 198.51.100.2)")
        #expect(verdict.logText.hasPrefix("HELO hurdle: failed to verify, real address is [203.0.113.5]"))
        #expect(verdict.receivedFrom == "other.sender.test ([203.0.113.5])")
    }

    @Test func nameWithOnlyTheOtherFamilyIsAMismatch() async {
        let verdict = await verify("v6only.sender.test")
        #expect(verdict.outcome == .mismatch(resolved: ["2001:db8::9"]))
    }

    @Test func nameWithoutAddressesIsAMismatch() async {
        let verdict = await verify("empty.sender.test")
        #expect(verdict.outcome == .mismatch(resolved: []))
        #expect(verdict.logText.hasSuffix("(empty.sender.test has no address)"))
    }

    @Test func nonexistentName() async {
        let verdict = await verify("nowhere.sender.test")
        #expect(verdict.outcome == .nameDoesNotExist)
        #expect(
            verdict.logText == "HELO hurdle: failed to verify, real address is [203.0.113.5] (nowhere.sender.test does not exist)"
        )
    }

    @Test func temporaryFailureFailsOpen() async {
        let verdict = await verify("slow.sender.test")
        guard case .temporaryFailure(let detail) = verdict.outcome else {
            Issue.record("expected a temporary failure, got \(verdict.outcome)")
            return
        }
        #expect(detail.contains("timeout"))
        #expect(verdict.severity == .undetermined && verdict.severity.logLevel == 3)
        #expect(HeloPolicy(mode: .reject).action(for: verdict) == .accept)
    }

    @Test(arguments: [
        "", "bad_name.test", "-lead.test", "two words", "a..b", "[192.0.2.300]", "[IPv6:192.0.2.1]", "[2001:db8::1]",
    ])
    func syntaxErrors(_ helo: String) async {
        let verdict = await verify(helo)
        #expect(verdict.outcome == .syntaxError)
        #expect(
            HeloPolicy().action(for: verdict)
                == .reject(SMTPReply(501, .init(5, 5, 2), "Invalid HELO name: neither a domain nor an address literal")))
        #expect(resolver.asked.isEmpty)
    }

    @Test(arguments: [
        ("mx.example.test", "our host name mx.example.test"), ("EXAMPLE.test", "our local domain example.test"),
        ("other.test", "our local domain other.test"), ("localhost", "localhost"), ("foo.localhost", "localhost"),
        ("[192.0.2.25]", "our address 192.0.2.25"), ("[IPv6:2001:db8::25]", "our address 2001:db8::25"),
        ("[127.0.0.1]", "a loopback address"),
    ])
    func strangersClaimingToBeUsAreRefused(_ helo: String, _ claim: String) async {
        let verdict = await verify(helo)
        #expect(verdict.outcome == .claimsToBeUs(claim))
        #expect(verdict.severity == .failure)
        guard case .reject(let reply) = HeloPolicy().action(for: verdict) else {
            Issue.record("not refused: \(verdict)")
            return
        }
        #expect(reply.code == 550 && reply.enhanced == EnhancedStatusCode(5, 7, 1))
        #expect(resolver.asked.isEmpty)
    }

    @Test func ourOwnAddressesAndLoopbackMayUseOurNames() async {
        #expect(await verify("mx.example.test", from: "127.0.0.1").outcome != .claimsToBeUs("our host name mx.example.test"))
        #expect(await verify("example.test", from: "192.0.2.25").outcome == .nameDoesNotExist)
        #expect(await verify("localhost", from: "127.0.0.1").outcome == .forwardConfirmed)
        #expect(await verify("localhost", from: "::1").outcome == .forwardConfirmed)
        #expect(await verify("[127.0.0.1]", from: "127.0.0.1").outcome == .literalConfirmed)
    }

    @Test func addressLiterals() async {
        #expect(await verify("[203.0.113.5]").outcome == .literalConfirmed)
        #expect(await verify("[IPv6:2001:db8::5]", from: "2001:db8:0::5").outcome == .literalConfirmed)
        let wrong = await verify("[198.51.100.7]")
        #expect(wrong.outcome == .literalMismatch)
        #expect(wrong.logText == "HELO hurdle: address literal [198.51.100.7] is not the client's, real address is [203.0.113.5]")
        // A bare address is read as the literal it means.
        #expect(await verify("203.0.113.5").outcome == .literalConfirmed)
        #expect(resolver.asked.isEmpty)
    }

    @Test func receivedShowsTheTruthForUnverifiedNames() async {
        #expect(await verify("nowhere.sender.test").receivedFrom == "nowhere.sender.test ([203.0.113.5])")
        #expect(await verify("[198.51.100.7]").receivedFrom == "[198.51.100.7] ([203.0.113.5])")
        #expect(await verify("evil(name").receivedFrom == "evil?name ([203.0.113.5])")
    }

    @Test func localDomainsAreReadAtEachCheck() async {
        let domains = SharedValue<Set<String>>([])
        let verifier = HeloVerifier(resolver: resolver, ourHostnames: [], localDomains: { domains.value })
        #expect(await verifier.verify(helo: "new.test", clientAddress: "203.0.113.5").outcome == .nameDoesNotExist)
        domains.value = ["new.test"]
        #expect(
            await verifier.verify(helo: "new.test", clientAddress: "203.0.113.5").outcome
                == .claimsToBeUs("our local domain new.test"))
    }
}

@Suite struct HeloVerifierLoopbackTests {
    @Test("With loopbackIsUs off, a loopback client that is not our listener address cannot claim our name")
    func loopbackCheckedLikeAnyone() async {
        let verifier = HeloVerifier(
            resolver: StubbedResolver(), ourHostnames: ["mx.example.test"], ourAddresses: ["127.0.0.1"], loopbackIsUs: false)
        #expect(await verifier.verify(helo: "mx.example.test", clientAddress: "127.0.0.5").outcome
            == .claimsToBeUs("our host name mx.example.test"))
        #expect(await verifier.verify(helo: "mx.example.test", clientAddress: "127.0.0.1").outcome != .claimsToBeUs("our host name mx.example.test"))
    }
}
