import NIOConcurrencyHelpers

/// Per-address and per-user rate limits, shared by every listener.
///
/// Call sites (all synchronous and cheap):
/// - at accept: `admitConnection(from:)` (connections open at once are the
///   server's `ConnectionLimiter`'s business, `limits.connections_per_ip`).
/// - at MAIL: `admitMessage(from:user:)`; at each RCPT: `admitRecipient(from:user:)`.
///
/// Authenticated sessions are counted against the user (a stolen password
/// must not send a million messages from a botnet's many addresses), the
/// others against the client address; so an office behind one NAT address
/// whose users authenticate is not throttled as one client. The caller
/// decides who is exempt (e.g. client networks): it simply does not call.
public final class RateLimiter: Sendable {
    private struct Key: Hashable, Sendable {
        var kind: RateLimitKind
        var name: String
    }

    private struct State: Sendable {
        var counters: ExpiringTable<Key, ContinuousClock.Instant>
    }

    public let limits: RateLimits
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let state: NIOLockedValueBox<State>

    public init(limits: RateLimits, clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.limits = limits
        self.clock = clock
        self.state = NIOLockedValueBox(State(counters: ExpiringTable(capacity: max(1, limits.maximumTrackedKeys))))
    }

    /// Counts one new connection from `address` (per `connectionWindow`).
    public func admitConnection(from address: String) -> RateLimitVerdict {
        admit(.connectionsPerIP, address, limit: limits.connectionsPerIP, window: limits.connectionWindow)
    }

    /// Counts one message (a MAIL command) for the user, or for the address
    /// when the session is not authenticated.
    public func admitMessage(from address: String, user: String?) -> RateLimitVerdict {
        if let user {
            return admit(.messagesPerUser, user.lowercased(), limit: limits.messagesPerUser)
        }
        return admit(.messagesPerIP, address, limit: limits.messagesPerIP)
    }

    /// Counts one recipient (an RCPT command), as `admitMessage` does.
    public func admitRecipient(from address: String, user: String?) -> RateLimitVerdict {
        if let user {
            return admit(.recipientsPerUser, user.lowercased(), limit: limits.recipientsPerUser)
        }
        return admit(.recipientsPerIP, address, limit: limits.recipientsPerIP)
    }

    /// How many counters are remembered now (for tests and metrics).
    public var trackedKeys: Int { state.withLockedValue { $0.counters.count } }

    private func admit(_ kind: RateLimitKind, _ name: String, limit: Int, window: Duration? = nil) -> RateLimitVerdict {
        guard limit > 0 else { return .ok }
        let window = window ?? limits.messageWindow
        let now = clock()
        let key = Key(kind: kind, name: name)
        let counter = RateCounter(limit: limit, window: window)
        return state.withLockedValue { state in
            switch counter.admit(cost: 1, tat: state.counters.value(for: key, at: now), now: now) {
            case .success(let tat):
                state.counters.set(key, tat, expires: tat, now: now)
                return .ok
            case .failure(let refusal):
                return .exceeded(
                    RateLimitExceeded(kind: kind, key: name, limit: limit, window: window, retryAfter: refusal.retryAfter))
            }
        }
    }
}
