import Foundation
import Synchronization
import Testing

@testable import Policy

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    let now = Mutex(ContinuousClock.now)
    func advance(_ duration: Duration) { now.withLock { $0 += duration } }
    var read: @Sendable () -> ContinuousClock.Instant { { self.now.withLock { $0 } } }
}

@Suite("Brute-force protection for AUTH")
struct AuthenticationGuardTests {
    func makeGuard(_ clock: ManualClock) -> AuthenticationGuard {
        var settings = AuthenticationGuard.Settings()
        settings.delayAfter = 2
        settings.banAfter = 5
        settings.lockAfter = 4
        settings.firstBan = .seconds(60)
        settings.window = .seconds(600)
        return AuthenticationGuard(settings: settings, clock: clock.read)
    }

    @Test("Answers slow down after a few failures, then the address is banned")
    func delaysThenBan() {
        let clock = ManualClock()
        let guardian = makeGuard(clock)
        #expect(guardian.failed(address: "198.51.100.7", account: "a@example.test") == .delay(.zero))
        #expect(guardian.failed(address: "198.51.100.7", account: "b@example.test") == .delay(.zero))
        #expect(guardian.failed(address: "198.51.100.7", account: "c@example.test") == .delay(.seconds(1)))
        #expect(guardian.failed(address: "198.51.100.7", account: "d@example.test") == .delay(.seconds(2)))
        guard case .ban(_, let length) = guardian.failed(address: "198.51.100.7", account: "e@example.test") else {
            Issue.record("the fifth failure must ban")
            return
        }
        #expect(length == .seconds(60))
        #expect(guardian.banned("198.51.100.7") != nil)
        #expect(guardian.banned("198.51.100.8") == nil, "other addresses are not affected")
        clock.advance(.seconds(61))
        #expect(guardian.banned("198.51.100.7") == nil, "a ban ends")
    }

    @Test("A repeat offender's ban doubles")
    func growingBans() {
        let clock = ManualClock()
        let guardian = makeGuard(clock)
        var lengths: [Duration] = []
        for _ in 0..<3 {
            for attempt in 0..<5 {
                if case .ban(_, let length) = guardian.failed(address: "203.0.113.5", account: "x\(attempt)") {
                    lengths.append(length)
                }
            }
            clock.advance(.seconds(10_000))
        }
        #expect(lengths == [.seconds(60), .seconds(120), .seconds(240)])
    }

    @Test("An account under attack from many addresses is locked, then unlocked after the window")
    func accountLockout() {
        let clock = ManualClock()
        let guardian = makeGuard(clock)
        for index in 0..<4 { _ = guardian.failed(address: "192.0.2.\(index)", account: "Alice@example.test") }
        #expect(guardian.isLocked("alice@example.test"))
        #expect(!guardian.isLocked("bob@example.test"))
        clock.advance(.seconds(601))
        #expect(!guardian.isLocked("alice@example.test"))
    }

    @Test("Failures older than the window do not count, and only they are forgotten")
    func forgetting() {
        let clock = ManualClock()
        let guardian = makeGuard(clock)
        for _ in 0..<4 { _ = guardian.failed(address: "192.0.2.1", account: "a") }
        clock.advance(.seconds(601))
        #expect(guardian.failed(address: "192.0.2.1", account: "a") == .delay(.zero))
        _ = guardian.failed(address: "192.0.2.1", account: "a")
        // A successful login in between (which the guard is not told about)
        // changes nothing: the third failure in the window is delayed.
        #expect(guardian.failed(address: "192.0.2.1", account: "a") == .delay(.seconds(1)))
    }
}
