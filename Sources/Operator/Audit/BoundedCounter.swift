/// Counts by key with a ceiling on the number of keys, so that a botnet of
/// a million addresses cannot make the audit's memory grow: past the
/// ceiling, new keys are counted together as `overflow`.
public struct BoundedCounter: Sendable, Equatable {
    public private(set) var counts: [String: Int] = [:]
    public private(set) var overflow = 0
    public let capacity: Int

    public init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    public mutating func add(_ key: String, _ amount: Int = 1) {
        if let index = counts.index(forKey: key) {
            counts.values[index] += amount
        } else if counts.count < capacity {
            counts[key] = amount
        } else {
            overflow += amount
        }
    }

    public subscript(_ key: String) -> Int { counts[key] ?? 0 }

    /// Distinct keys seen (a lower bound once `overflow` is non-zero).
    public var distinct: Int { counts.count }

    public var total: Int { counts.values.reduce(overflow, +) }

    /// The `limit` largest counts, ties in key order, so output is stable.
    public func top(_ limit: Int) -> [(key: String, count: Int)] {
        counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { (key: $0.key, count: $0.value) }
    }
}
