/// A dictionary whose entries expire and whose size is capped, so that
/// per-address state cannot be grown without bound by a flood of distinct
/// addresses (a spammer with a /16, or an IPv6 client rotating through its /64).
///
/// Each entry carries the instant after which it may be forgotten. Inserting
/// beyond `capacity` first drops every expired entry; when that is not enough,
/// the entries that expire soonest go (they carry the least information),
/// a tenth of the table at a time so that the sweep is amortised over many
/// inserts. Not thread-safe by itself: the owners keep it behind a lock.
struct ExpiringTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        var value: Value
        var expires: ContinuousClock.Instant
    }

    let capacity: Int
    private var entries: [Key: Entry] = [:]

    init(capacity: Int) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
    }

    var count: Int { entries.count }

    /// The value for `key` unless it has expired at `now`.
    func value(for key: Key, at now: ContinuousClock.Instant) -> Value? {
        guard let entry = entries[key], entry.expires > now else { return nil }
        return entry.value
    }

    /// Stores `value` until `expires`, making room first when the table is full.
    mutating func set(_ key: Key, _ value: Value, expires: ContinuousClock.Instant, now: ContinuousClock.Instant) {
        if entries[key] == nil && entries.count >= capacity { makeRoom(now: now) }
        entries[key] = Entry(value: value, expires: expires)
    }

    mutating func remove(_ key: Key) { entries[key] = nil }

    private mutating func makeRoom(now: ContinuousClock.Instant) {
        entries = entries.filter { $0.value.expires > now }
        guard entries.count >= capacity else { return }
        let excess = entries.count - capacity + 1
        let victims = entries.sorted { $0.value.expires < $1.value.expires }.prefix(max(excess, capacity / 10))
        for (key, _) in victims { entries[key] = nil }
    }
}
