/// What one session knows of its selected mailbox: the messages in sequence
/// order (ascending UID) with the flags it last told the client, and how to
/// bring that view up to date with the store's state, as the untagged
/// responses that tell the client (RFC 9051 § 7.4.1 EXPUNGE, § 7.3.1
/// EXISTS, § 7.5.2 FETCH FLAGS).
///
/// Sequence numbers only change when the client is told: a message
/// expunged by another session stays in this view (reads of it find
/// nothing) until an EXPUNGE response may be sent, which is never during
/// FETCH, STORE or SEARCH (§ 7.5.1), since the client's numbers would shift
/// under its command.
public struct SelectedMailbox: Sendable {
    public struct Message: Equatable, Sendable {
        public var uid: UInt32
        public var flags: [String]

        public init(uid: UInt32, flags: [String]) {
            self.uid = uid
            self.flags = flags
        }
    }

    public let name: String
    public let readOnly: Bool
    public let uidValidity: UInt32
    public private(set) var uidNext: UInt32
    public private(set) var messages: [Message]
    /// UIDs gone from the store, still numbered here until reported.
    public private(set) var vanished: Set<UInt32> = []

    public init(name: String, readOnly: Bool, uidValidity: UInt32, uidNext: UInt32, messages: [Message]) {
        self.name = name
        self.readOnly = readOnly
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.messages = messages.sorted { $0.uid < $1.uid }
    }

    public var count: Int { messages.count }

    /// The sequence number of `uid` (1-based), by binary search.
    public func sequence(of uid: UInt32) -> Int? {
        var low = 0
        var high = messages.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if messages[middle].uid == uid { return middle + 1 }
            if messages[middle].uid < uid { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }

    /// The indices (0-based) a sequence set selects, ascending. For UIDs,
    /// `*` is the highest UID in the mailbox and numbers not in use are
    /// skipped; for sequence numbers, a number past the end makes the set
    /// invalid (nil: the command is BAD, RFC 9051 § 9 `seq-number`).
    public func indices(_ set: SequenceSet, uid: Bool, saved: [UInt32]? = nil) -> [Int]? {
        if set.isSavedResult {
            return (saved ?? []).compactMap { sequence(of: $0).map { $0 - 1 } }
        }
        guard !messages.isEmpty else { return uid ? [] : nil }
        if uid {
            // Ranges sorted and merged first: `1:*,1:*,…` two thousand times
            // (it fits in one command line) costs one pass, not two thousand.
            let last = messages[messages.count - 1].uid
            var result: [Int] = []
            for (low, high) in Self.merged(set, last: last) {
                var index = firstIndex(atOrAbove: low)
                while index < messages.count, messages[index].uid <= high {
                    result.append(index)
                    index += 1
                }
            }
            return result
        }
        let last = UInt32(messages.count)
        var result: [Int] = []
        for (low, high) in Self.merged(set, last: last) {
            guard high <= last else { return nil }
            result += (Int(low) - 1)...(Int(high) - 1)
        }
        return result
    }

    /// The set's ranges as ascending, disjoint (low, high) pairs.
    static func merged(_ set: SequenceSet, last: UInt32) -> [(UInt32, UInt32)] {
        let ranges = set.ranges.map { range -> (UInt32, UInt32) in
            let a = range.from.value(last: last)
            let b = range.to.value(last: last)
            return (min(a, b), max(a, b))
        }.sorted { $0.0 < $1.0 }
        var merged: [(UInt32, UInt32)] = []
        for range in ranges {
            if let previous = merged.last, range.0 <= previous.1 &+ 1, previous.1 != UInt32.max {
                merged[merged.count - 1].1 = max(previous.1, range.1)
            } else if let previous = merged.last, previous.1 == UInt32.max {
                continue
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    private func firstIndex(atOrAbove uid: UInt32) -> Int {
        var low = 0
        var high = messages.count
        while low < high {
            let middle = (low + high) / 2
            if messages[middle].uid < uid { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Records flags this session itself set (STORE), so that they are not
    /// reported again as another session's change.
    public mutating func setFlags(_ flags: [String], uid: UInt32) {
        guard let sequence = sequence(of: uid) else { return }
        messages[sequence - 1].flags = flags
    }

    /// Adds a message this session itself placed in the mailbox (APPEND,
    /// COPY into it) without reading the store again; returns its EXISTS.
    public mutating func appendOwn(_ message: Message) -> String {
        guard message.uid > (messages.last?.uid ?? 0) else { return "" }
        messages.append(message)
        uidNext = max(uidNext, message.uid &+ 1)
        return "* \(messages.count) EXISTS\r\n"
    }

    /// Removes messages this session itself expunged (EXPUNGE, MOVE), and
    /// any held back before; returns their EXPUNGE responses.
    public mutating func removeOwn(_ uids: Set<UInt32>) -> String {
        let gone = uids.union(vanished)
        var output = ""
        for index in messages.indices.reversed() where gone.contains(messages[index].uid) {
            output += "* \(index + 1) EXPUNGE\r\n"
            messages.remove(at: index)
        }
        vanished = []
        return output
    }

    /// Brings the view up to date with the store's messages (ascending UID)
    /// and returns the untagged responses that tell the client.
    /// - Parameters:
    ///   - expungesAllowed: false during FETCH, STORE and SEARCH.
    ///   - includeUID: the command was a UID command (FETCH responses then carry the UID).
    public mutating func update(
        to current: [Message], uidNext newUIDNext: UInt32, expungesAllowed: Bool, includeUID: Bool = false
    ) -> String {
        var output = ""
        var currentByUID: [UInt32: [String]] = [:]
        currentByUID.reserveCapacity(current.count)
        for message in current { currentByUID[message.uid] = message.flags }
        // Expunges, highest sequence number first, so that each number is
        // right when the client reads it.
        let gone = messages.indices.filter { currentByUID[messages[$0].uid] == nil }
        if expungesAllowed {
            for index in gone.reversed() {
                output += "* \(index + 1) EXPUNGE\r\n"
                messages.remove(at: index)
            }
            vanished = []
        } else {
            for index in gone { vanished.insert(messages[index].uid) }
        }
        // Flag changes made by others.
        for index in messages.indices {
            guard let flags = currentByUID[messages[index].uid], flags != messages[index].flags else { continue }
            messages[index].flags = flags
            let uidItem = includeUID ? "UID \(messages[index].uid) " : ""
            output += "* \(index + 1) FETCH (\(uidItem)FLAGS \(IMAPResponseText.flagList(flags)))\r\n"
        }
        // New messages: UIDs above every one known.
        let highest = messages.last?.uid ?? 0
        let added = current.filter { $0.uid > highest }
        if !added.isEmpty {
            messages.append(contentsOf: added)
            output += "* \(messages.count) EXISTS\r\n"
        }
        uidNext = max(uidNext, newUIDNext)
        return output
    }
}
