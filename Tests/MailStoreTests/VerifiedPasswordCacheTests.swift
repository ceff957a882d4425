import Synchronization
import Testing

@testable import MailStore

@Suite("Verified-password cache")
struct VerifiedPasswordCacheTests {
    final class Clock: Sendable {
        let now = Mutex(ContinuousClock.now)
        var read: @Sendable () -> ContinuousClock.Instant { { self.now.withLock { $0 } } }
    }

    @Test("Only the same password against the same stored hash, within the lifetime, is confirmed")
    func confirms() {
        let clock = Clock()
        let cache = VerifiedPasswordCache(lifetime: .seconds(60), clock: clock.read)
        #expect(!cache.confirms("secret", account: "alice@example.test", storedHash: "H1"))
        cache.remember("secret", account: "alice@example.test", storedHash: "H1")
        #expect(cache.confirms("secret", account: "alice@example.test", storedHash: "H1"))
        #expect(!cache.confirms("Secret", account: "alice@example.test", storedHash: "H1"), "a wrong password")
        #expect(!cache.confirms("secret", account: "alice@example.test", storedHash: "H2"), "the password was changed")
        #expect(!cache.confirms("secret", account: "bob@example.test", storedHash: "H1"), "another account")
        clock.now.withLock { $0 += .seconds(61) }
        #expect(!cache.confirms("secret", account: "alice@example.test", storedHash: "H1"), "expired")
    }

    @Test("Forgetting and a full table")
    func bounded() {
        let cache = VerifiedPasswordCache(capacity: 2)
        cache.remember("a", account: "a@x.test", storedHash: "H")
        cache.forget("a@x.test")
        #expect(!cache.confirms("a", account: "a@x.test", storedHash: "H"))
        for name in ["b", "c", "d"] { cache.remember(name, account: "\(name)@x.test", storedHash: "H") }
        #expect(cache.confirms("d", account: "d@x.test", storedHash: "H"))
    }
}
