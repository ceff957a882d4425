import MailCore
import Testing

@testable import AntiSpam

@Suite struct RateLimitTests {
    let clock = SteppingClock()

    func limiter(_ configure: (inout RateLimits) -> Void) -> RateLimiter {
        var limits = RateLimits()
        configure(&limits)
        return RateLimiter(limits: limits, clock: clock.source)
    }

    @Test func everythingIsOffByDefault() {
        let limiter = limiter { _ in }
        #expect(limiter.limits.isOff)
        for _ in 0..<1000 {
            #expect(limiter.admitConnection(from: "192.0.2.1").isOK)
            #expect(limiter.admitMessage(from: "192.0.2.1", user: nil).isOK)
        }
        #expect(limiter.trackedKeys == 0)
    }

    @Test func connectionsPerMinuteSlideBack() {
        let limiter = limiter { $0.connectionsPerIP = 3 }
        for _ in 0..<3 { #expect(limiter.admitConnection(from: "192.0.2.1").isOK) }
        guard case .exceeded(let exceeded) = limiter.admitConnection(from: "192.0.2.1") else {
            Issue.record("fourth connection admitted")
            return
        }
        #expect(exceeded.text == "Too many connections from 192.0.2.1: 3 per minute")
        #expect(exceeded.retryAfter == .seconds(20))
        clock.advance(.seconds(19))
        #expect(!limiter.admitConnection(from: "192.0.2.1").isOK)
        clock.advance(.seconds(1))
        #expect(limiter.admitConnection(from: "192.0.2.1").isOK)
        #expect(!limiter.admitConnection(from: "192.0.2.1").isOK)
        clock.advance(.seconds(60))
        for _ in 0..<3 { #expect(limiter.admitConnection(from: "192.0.2.1").isOK) }
    }

    @Test func messagesAndRecipientsPerIP() {
        let limiter = limiter {
            $0.messagesPerIP = 100
            $0.recipientsPerIP = 5
        }
        for _ in 0..<100 { #expect(limiter.admitMessage(from: "127.0.0.1", user: nil).isOK) }
        guard case .exceeded(let exceeded) = limiter.admitMessage(from: "127.0.0.1", user: nil) else {
            Issue.record("message 101 admitted")
            return
        }
        #expect(exceeded.text == "Too many messages from 127.0.0.1: 100 per hour")
        #expect(
            exceeded.reply(hostname: "mx.test")
                == SMTPReply(451, .init(4, 7, 1), "Too many messages from 127.0.0.1: 100 per hour, try again later"))
        #expect(exceeded.description == "rate limit: Too many messages from 127.0.0.1: 100 per hour, retry after 36s")
        for _ in 0..<5 { #expect(limiter.admitRecipient(from: "127.0.0.1", user: nil).isOK) }
        #expect(!limiter.admitRecipient(from: "127.0.0.1", user: nil).isOK)
        // Another address has its own allowance.
        #expect(limiter.admitMessage(from: "127.0.0.2", user: nil).isOK)
    }

    @Test func authenticatedUsersAreCountedPerUserWhateverTheAddress() {
        let limiter = limiter {
            $0.messagesPerIP = 1
            $0.messagesPerUser = 3
            $0.recipientsPerUser = 2
        }
        #expect(limiter.admitMessage(from: "198.51.100.1", user: "Alice@Example.test").isOK)
        #expect(limiter.admitMessage(from: "198.51.100.2", user: "alice@example.test").isOK)
        #expect(limiter.admitMessage(from: "198.51.100.3", user: "alice@example.test").isOK)
        guard case .exceeded(let exceeded) = limiter.admitMessage(from: "198.51.100.4", user: "alice@example.test") else {
            Issue.record("fourth message admitted")
            return
        }
        #expect(exceeded.kind == .messagesPerUser && exceeded.key == "alice@example.test")
        #expect(limiter.admitMessage(from: "198.51.100.4", user: nil).isOK)
        #expect(limiter.admitRecipient(from: "198.51.100.1", user: "bob").isOK)
        #expect(limiter.admitRecipient(from: "198.51.100.1", user: "bob").isOK)
        #expect(!limiter.admitRecipient(from: "198.51.100.1", user: "bob").isOK)
    }

    @Test func shortWindowsForTests() {
        let limiter = limiter {
            $0.messagesPerIP = 2
            $0.messageWindow = .seconds(10)
        }
        #expect(limiter.admitMessage(from: "127.0.0.9", user: nil).isOK)
        #expect(limiter.admitMessage(from: "127.0.0.9", user: nil).isOK)
        guard case .exceeded(let exceeded) = limiter.admitMessage(from: "127.0.0.9", user: nil) else {
            Issue.record("third message admitted")
            return
        }
        #expect(exceeded.text == "Too many messages from 127.0.0.9: 2 per 10 seconds")
        clock.advance(.seconds(5))
        #expect(limiter.admitMessage(from: "127.0.0.9", user: nil).isOK)
    }

    @Test func aFloodOfDistinctAddressesStaysBounded() {
        let limiter = limiter {
            $0.connectionsPerIP = 10
            $0.maximumTrackedKeys = 1000
        }
        var admitted = 0
        var largest = 0
        // Five times the table's size: enough to evict many times over,
        // small enough not to hog the test run's two cooperative threads.
        for index in 0..<5000 {
            if limiter.admitConnection(from: "10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)").isOK {
                admitted += 1
            }
            largest = max(largest, limiter.trackedKeys)
        }
        #expect(admitted == 5000)
        #expect(largest == 1000)
        // Idle keys expire: after a window the table empties itself on the next sweep.
        clock.advance(.seconds(61))
        #expect(limiter.admitConnection(from: "192.0.2.1").isOK)
        for index in 0..<2000 { _ = limiter.admitConnection(from: "172.16.\(index >> 8).\(index & 255)") }
        #expect(limiter.trackedKeys <= 1000)
    }

    @Test func windowNames() {
        #expect(RateLimitExceeded.describe(.seconds(3600)) == "hour")
        #expect(RateLimitExceeded.describe(.seconds(60)) == "minute")
        #expect(RateLimitExceeded.describe(.seconds(300)) == "5 minutes")
        #expect(RateLimitExceeded.describe(.seconds(7200)) == "2 hours")
        #expect(RateLimitExceeded.describe(.seconds(90)) == "90 seconds")
    }
}
