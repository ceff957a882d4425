import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import Server

@Suite("ConnectionLimiter: slots, per-address limits, and room made by closing idle sessions")
struct ConnectionLimiterTests {
    final class Closed: Sendable {
        let names = NIOLockedValueBox<[String]>([])
        func closer(_ name: String) -> ConnectionLimiter.Closer { { self.names.withLockedValue { $0.append(name) } } }
    }

    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func timeouts(lastLineAt offset: TimeAmount, readingData: Bool = false) -> SessionTimeouts {
        let timeouts = SessionTimeouts(.init(), now: Self.start)
        timeouts.lineCompleted(at: Self.start + offset)
        timeouts.isReadingData = readingData
        return timeouts
    }

    @Test("When every slot is taken, the session idle the longest (past the eviction age) is closed for the newcomer")
    func evictsLongestIdle() {
        let limiter = ConnectionLimiter(maximumTotal: 3, maximumPerAddress: 10, idleEviction: .seconds(10))
        let closed = Closed()
        _ = limiter.admit("192.0.2.1", timeouts: timeouts(lastLineAt: .seconds(5)), now: Self.start, close: closed.closer("a"))
        _ = limiter.admit("192.0.2.2", timeouts: timeouts(lastLineAt: .seconds(1)), now: Self.start, close: closed.closer("b"))
        _ = limiter.admit("192.0.2.3", timeouts: timeouts(lastLineAt: .seconds(3)), now: Self.start, close: closed.closer("c"))
        let now = Self.start + .seconds(30)
        let admission = limiter.admit(
            "192.0.2.9", timeouts: timeouts(lastLineAt: .seconds(30)), now: now, close: closed.closer("new"))
        guard case .admitted = admission else {
            Issue.record("expected admission, got \(admission)")
            return
        }
        #expect(closed.names.withLockedValue { $0 } == ["b"])
        // The closed one is no longer a candidate: the next newcomer takes "c".
        _ = limiter.admit("192.0.2.10", timeouts: timeouts(lastLineAt: .seconds(30)), now: now, close: closed.closer("x"))
        #expect(closed.names.withLockedValue { $0 } == ["b", "c"])
    }

    @Test("Sessions not idle long enough, or reading message text, are never closed: the newcomer is refused")
    func refusesWhenNobodyIsIdle() {
        let limiter = ConnectionLimiter(maximumTotal: 2, maximumPerAddress: 10, idleEviction: .seconds(10))
        let closed = Closed()
        _ = limiter.admit("192.0.2.1", timeouts: timeouts(lastLineAt: .seconds(25)), now: Self.start, close: closed.closer("a"))
        _ = limiter.admit(
            "192.0.2.2", timeouts: timeouts(lastLineAt: .zero, readingData: true), now: Self.start, close: closed.closer("b"))
        let admission = limiter.admit("192.0.2.9", timeouts: timeouts(lastLineAt: .zero), now: Self.start + .seconds(30)) {}
        #expect(admission == .tooManyInTotal)
        #expect(closed.names.withLockedValue { $0 }.isEmpty)
    }

    @Test("The per-address limit refuses without closing anyone, and released tickets free their slots")
    func perAddressAndRelease() {
        let limiter = ConnectionLimiter(maximumTotal: 10, maximumPerAddress: 1, idleEviction: .seconds(1))
        let first = limiter.admit("192.0.2.1", timeouts: timeouts(lastLineAt: .zero), now: Self.start) {}
        #expect(
            limiter.admit("192.0.2.1", timeouts: timeouts(lastLineAt: .zero), now: Self.start + .seconds(60)) {}
                == .tooManyFromAddress)
        guard case .admitted(let ticket) = first else {
            Issue.record("first not admitted")
            return
        }
        limiter.release(ticket, address: "192.0.2.1")
        #expect(limiter.openConnections == 0)
        #expect(limiter.admit("192.0.2.1", timeouts: timeouts(lastLineAt: .zero), now: Self.start) {} != .tooManyFromAddress)
    }
}
