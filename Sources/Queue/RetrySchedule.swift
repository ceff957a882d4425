import Foundation

/// When to try a deferred message again, and when to give up.
///
/// The default follows common MTA practice: 5, 10, 20 and 40 minutes, then
/// hourly, for at most 5 days (RFC 5321 § 4.5.4.1: retry at least 30 minutes
/// apart after the first tries, give up after 4–5 days).
public struct RetrySchedule: Sendable, Equatable {
    /// Delays after attempt 1, 2, …; the last one repeats.
    public var delays: [TimeInterval]
    public var maximumLifetime: TimeInterval
    /// Warn the sender once when a message is still undelivered after this long (nil: never).
    public var delayWarning: TimeInterval?

    public init(delays: [TimeInterval] = [300, 600, 1200, 2400, 3600], maximumLifetime: TimeInterval = 5 * 86_400, delayWarning: TimeInterval? = nil) {
        precondition(!delays.isEmpty, "a retry schedule needs at least one delay")
        self.delays = delays
        self.maximumLifetime = maximumLifetime
        self.delayWarning = delayWarning
    }

    /// The time of the next attempt after `attempts` failed ones, or nil when
    /// the message has outlived its lifetime and must be bounced.
    public func nextAttempt(after attempts: Int, created: Date, now: Date) -> Date? {
        let expires = created.addingTimeInterval(maximumLifetime)
        guard now < expires else { return nil }
        let delay = delays[min(max(attempts - 1, 0), delays.count - 1)]
        return min(now.addingTimeInterval(delay), expires)
    }

    public func hasExpired(created: Date, now: Date) -> Bool {
        now >= created.addingTimeInterval(maximumLifetime)
    }
}
