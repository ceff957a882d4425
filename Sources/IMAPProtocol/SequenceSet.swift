/// A sequence set (RFC 9051 § 9 `sequence-set`): `1:4,7,9:*`, or `$` for
/// the result of the last SEARCH (RFC 5182). Numbers are message sequence
/// numbers or UIDs, as the command says; `*` is the largest in use.
public struct SequenceSet: Equatable, Sendable {
    public enum Bound: Equatable, Sendable {
        case number(UInt32)
        /// `*`: the last message (or the highest UID).
        case last
    }

    public struct Range: Equatable, Sendable {
        public var from: Bound
        public var to: Bound
    }

    /// In the order given (a client may write `5:1` or `7,1`).
    public var ranges: [Range]
    /// `$`: the saved search result.
    public var isSavedResult: Bool

    /// Parses `text`; nil when it is not a sequence set (the command is BAD).
    public init?(_ text: String) {
        if text == "$" {
            ranges = []
            isSavedResult = true
            return
        }
        isSavedResult = false
        var ranges: [Range] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: ":", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2 else { return nil }
            guard let from = Self.bound(bounds[0]), let to = Self.bound(bounds[bounds.count - 1]) else { return nil }
            ranges.append(Range(from: from, to: to))
        }
        guard !ranges.isEmpty else { return nil }
        self.ranges = ranges
    }

    /// nz-number (1 to 4,294,967,295, no leading zero) or `*`.
    private static func bound(_ text: Substring) -> Bound? {
        if text == "*" { return .last }
        guard let first = text.first, first != "0", text.count <= 10, text.allSatisfy({ $0 >= "0" && $0 <= "9" }),
            let value = UInt32(text)
        else { return nil }
        return .number(value)
    }

    /// Whether `number` is in the set, given the largest number in use (what
    /// `*` stands for). `5:1` is the same as `1:5`.
    public func contains(_ number: UInt32, last: UInt32) -> Bool {
        ranges.contains { range in
            let a = range.from.value(last: last)
            let b = range.to.value(last: last)
            return min(a, b) <= number && number <= max(a, b)
        }
    }
}

extension SequenceSet.Bound {
    func value(last: UInt32) -> UInt32 {
        switch self {
        case .number(let value): return value
        case .last: return last
        }
    }
}
