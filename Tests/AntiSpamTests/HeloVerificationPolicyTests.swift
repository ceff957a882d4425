import MailCore
import Testing

@testable import AntiSpam

@Suite struct HeloPolicyTests {
    func verdict(_ outcome: HeloVerdict.Outcome, helo: String = "claimed.test") -> HeloVerdict {
        HeloVerdict(helo: helo, clientAddress: "203.0.113.5", outcome: outcome)
    }

    @Test func defaultLogsDoubtfulCasesAndRefusesTheClearOnes() {
        let policy = HeloPolicy()
        #expect(policy.action(for: verdict(.mismatch(resolved: ["198.51.100.1"]))) == .accept)
        #expect(policy.action(for: verdict(.nameDoesNotExist)) == .accept)
        #expect(policy.action(for: verdict(.literalMismatch, helo: "[192.0.2.1]")) == .accept)
        #expect(policy.action(for: verdict(.forwardConfirmed)) == .accept)
        #expect(
            policy.action(for: verdict(.claimsToBeUs("our host name mx.test"), helo: "mx.test"))
                == .reject(SMTPReply(550, .init(5, 7, 1), "HELO mx.test refused: you are not us, your address is [203.0.113.5]")))
        guard case .reject(let reply) = policy.action(for: verdict(.syntaxError, helo: "a b")) else {
            Issue.record("syntax error accepted")
            return
        }
        #expect(reply.code == 501 && reply.enhanced == EnhancedStatusCode(5, 5, 2))
    }

    @Test func rejectMode() {
        let policy = HeloPolicy(mode: .reject)
        #expect(
            policy.action(for: verdict(.mismatch(resolved: [])))
                == .reject(
                    SMTPReply(550, .init(5, 7, 1), "HELO claimed.test refused: failed to verify, real address is [203.0.113.5]")))
        #expect(
            policy.action(for: verdict(.nameDoesNotExist))
                == .reject(SMTPReply(550, .init(5, 7, 1), "HELO claimed.test refused: no such domain")))
        #expect(policy.action(for: verdict(.temporaryFailure("DNS timeout"))) == .accept)
        #expect(policy.action(for: verdict(.literalConfirmed)) == .accept)
    }

    @Test func scoreMode() {
        let policy = HeloPolicy(mode: .score)
        #expect(policy.action(for: verdict(.mismatch(resolved: []))) == .score(1))
        #expect(policy.action(for: verdict(.nameDoesNotExist)) == .score(2))
        #expect(policy.action(for: verdict(.claimsToBeUs("localhost"))) != .score(1))
        #expect(HeloPolicy.Mode(rawValue: "score") == .score && HeloPolicy.Mode(rawValue: "scored") == nil)
    }
}

@Suite struct SpamScoreTests {
    @Test func sumsAndExplains() {
        var score = SpamScore()
        #expect(score.action(.init()) == .accept)
        score.add(1, check: "helo", reason: "failed to verify")
        score.add(2.5, check: "dnsbl", reason: "listed in bl.test")
        #expect(score.total == 3.5)
        #expect(score.description == "score 3.5 (helo +1.0: failed to verify; dnsbl +2.5: listed in bl.test)")
        #expect(
            score.action(.init(reject: 5, defer: 3))
                == .defer(SMTPReply(451, .init(4, 7, 1), "Message deferred as possible spam, try again later")))
        score.add(1.5, check: "spf", reason: "softfail")
        #expect(score.action(.init()) == .reject(SMTPReply(550, .init(5, 7, 1), "Message refused as spam (score 5.0)")))
        #expect(score.action(.init(reject: nil)) == .accept)
        score.add(-2, check: "dnswl", reason: "allow-listed")
        #expect(score.description.contains("dnswl -2.0: allow-listed"))
    }
}
