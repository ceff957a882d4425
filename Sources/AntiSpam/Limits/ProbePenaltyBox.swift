import NIOConcurrencyHelpers

/// Remembers the addresses whose sessions `RecipientProbeGuard` dropped, for
/// `penaltyDuration`, so that their next connections are slowed down from
/// the first unknown recipient on (`RecipientProbeGuard(slowed: true)`)
/// instead of getting fresh free guesses by reconnecting.
///
/// Shared by all SMTP listeners; bounded like the rate limiter.
public final class ProbePenaltyBox: Sendable {
    public let penaltyDuration: Duration
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let table: NIOLockedValueBox<ExpiringTable<String, Int>>

    /// `capacity` caps the addresses remembered; beyond it the penalties that
    /// end soonest are forgotten first.
    public init(
        penaltyDuration: Duration = .seconds(30 * 60), capacity: Int = 100_000,
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.penaltyDuration = penaltyDuration
        self.clock = clock
        self.table = NIOLockedValueBox(ExpiringTable(capacity: max(1, capacity)))
    }

    /// Puts `address` in the box (again) for `penaltyDuration` from now;
    /// returns how many times it has been penalised while remembered.
    @discardableResult
    public func penalize(_ address: String) -> Int {
        let now = clock()
        return table.withLockedValue { table in
            let times = (table.value(for: address, at: now) ?? 0) + 1
            table.set(address, times, expires: now + penaltyDuration, now: now)
            return times
        }
    }

    /// Whether new sessions from `address` start slowed down.
    public func isPenalized(_ address: String) -> Bool {
        let now = clock()
        return table.withLockedValue { $0.value(for: address, at: now) != nil }
    }

    /// How many addresses are remembered now (for tests and metrics).
    public var count: Int { table.withLockedValue { $0.count } }
}
