import MailCore
import Testing

@testable import AntiSpam

@Suite struct TarpitTests {
    @Test func freeGuessesThenDoublingPausesThenDrop() {
        var guardian = RecipientProbeGuard()
        var pauses: [Duration] = []
        var dropped: SMTPReply?
        for _ in 1...10 {
            switch guardian.unknownRecipient(hostname: "mx.test") {
            case .reply(let after): pauses.append(after)
            case .drop(let reply, let after):
                pauses.append(after)
                dropped = reply
            }
        }
        #expect(pauses == [0, 0, 0, 1, 2, 4, 8, 10, 10, 10].map { Duration.seconds($0) })
        #expect(dropped == SMTPReply(421, .init(4, 7, 0), "mx.test Too many unknown recipients, closing connection"))
        #expect(guardian.unknownRecipients == 10)
    }

    @Test func aPenalisedClientGetsNoFreeGuesses() {
        var guardian = RecipientProbeGuard(slowed: true)
        #expect(guardian.unknownRecipient(hostname: "mx.test") == .reply(after: .seconds(1)))
        #expect(guardian.unknownRecipient(hostname: "mx.test") == .reply(after: .seconds(2)))
        #expect(guardian.startedSlowed)
    }

    @Test func configurableThresholds() {
        var settings = RecipientProbeGuard.Settings()
        settings.freeUnknownRecipients = 1
        settings.firstDelay = .milliseconds(100)
        settings.maximumDelay = .milliseconds(300)
        settings.dropAfter = 4
        var guardian = RecipientProbeGuard(settings: settings)
        #expect(guardian.unknownRecipient(hostname: "h") == .reply(after: .zero))
        #expect(guardian.unknownRecipient(hostname: "h") == .reply(after: .milliseconds(100)))
        #expect(guardian.unknownRecipient(hostname: "h") == .reply(after: .milliseconds(200)))
        #expect(
            guardian.unknownRecipient(hostname: "h")
                == .drop(RecipientProbeGuard.dropReply(hostname: "h"), after: .milliseconds(300)))
        // Very long sessions do not overflow the doubling.
        #expect(guardian.delay(for: 10_000) == .milliseconds(300))
    }

    @Test func dropAfterZeroNeverDrops() {
        var settings = RecipientProbeGuard.Settings()
        settings.dropAfter = 0
        var guardian = RecipientProbeGuard(settings: settings)
        for _ in 0..<100 {
            if case .drop = guardian.unknownRecipient(hostname: "h") { Issue.record("dropped") }
        }
    }

    @Test func penaltyBoxRemembersForItsDuration() {
        let clock = SteppingClock()
        let box = ProbePenaltyBox(penaltyDuration: .seconds(600), clock: clock.source)
        #expect(!box.isPenalized("203.0.113.5"))
        #expect(box.penalize("203.0.113.5") == 1)
        #expect(box.isPenalized("203.0.113.5") && !box.isPenalized("203.0.113.6"))
        clock.advance(.seconds(599))
        #expect(box.isPenalized("203.0.113.5"))
        #expect(box.penalize("203.0.113.5") == 2)
        clock.advance(.seconds(599))
        #expect(box.isPenalized("203.0.113.5"))
        clock.advance(.seconds(1))
        #expect(!box.isPenalized("203.0.113.5"))
    }

    @Test func penaltyBoxIsBounded() {
        let clock = SteppingClock()
        let box = ProbePenaltyBox(capacity: 500, clock: clock.source)
        for index in 0..<10_000 {
            clock.advance(.milliseconds(1))
            box.penalize("10.0.\(index >> 8 & 255).\(index & 255)-\(index)")
        }
        #expect(box.count <= 500)
        // The most recent penalties are the ones kept.
        #expect(box.isPenalized("10.0.39.15-9999"))
    }
}
