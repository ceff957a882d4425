import NIOCore

/// Answers remembered for their TTL, negative answers included (RFC 2308).
///
/// A value type with no clock of its own: every call takes the current
/// instant, so tests step time forward instead of sleeping.
package struct DNSCache: Sendable {
    /// What a cached lookup produced.
    package enum Entry: Hashable, Sendable {
        case records([DNSRecordData])
        case nameError
        case noData
    }

    /// Names compare without regard to ASCII case (RFC 4343), so keys hold
    /// the lower-cased name.
    package struct Key: Hashable, Sendable {
        package var name: DNSName
        package var type: DNSRecordType

        package init(_ name: DNSName, _ type: DNSRecordType) {
            self.name = name.lowercased
            self.type = type
        }
    }

    /// Caps on how long anything is kept. RFC 2308 suggests one to three
    /// hours for negative answers; an hour bounds how long a domain created
    /// or repaired in the meantime stays invisible to the queue.
    package var maximumTTL: UInt32
    package var maximumNegativeTTL: UInt32
    /// When full, expired entries go first, then arbitrary ones: a bound on
    /// memory, not an LRU.
    package var capacity: Int

    private var entries: [Key: (entry: Entry, expires: NIODeadline)] = [:]

    package init(maximumTTL: UInt32 = 86_400, maximumNegativeTTL: UInt32 = 3_600, capacity: Int = 10_000) {
        self.maximumTTL = maximumTTL
        self.maximumNegativeTTL = maximumNegativeTTL
        self.capacity = capacity
    }

    package var count: Int { entries.count }

    /// The live entry for `key` and the whole seconds it has left.
    package mutating func lookup(_ key: Key, now: NIODeadline) -> (entry: Entry, ttl: UInt32)? {
        guard let cached = entries[key] else { return nil }
        guard now < cached.expires else {
            entries[key] = nil
            return nil
        }
        let left = (cached.expires - now).nanoseconds / 1_000_000_000
        return (cached.entry, UInt32(clamping: left))
    }

    /// Remembers `entry` for `ttl` seconds, capped. A TTL of zero means
    /// "use once" (RFC 1035 § 3.2.1) and is not stored.
    package mutating func store(_ entry: Entry, for key: Key, ttl: UInt32, now: NIODeadline) {
        let isNegative = entry == .nameError || entry == .noData
        let seconds = min(ttl, isNegative ? maximumNegativeTTL : maximumTTL)
        guard seconds > 0, capacity > 0 else { return }
        if entries[key] == nil && entries.count >= capacity {
            entries = entries.filter { now < $0.value.expires }
            while entries.count >= capacity, let victim = entries.keys.first { entries[victim] = nil }
        }
        entries[key] = (entry, now + .seconds(Int64(seconds)))
    }
}
