/// What the runner will not try to deliver: an envelope found in the spool
/// that no server of ours wrote (edited by hand, restored from another
/// version, damaged). Such an entry is quarantined, never fatal.
enum SpoolEntryCheck {
    /// Why `envelope`, read from the file named `id`, cannot be queued; nil when it can.
    static func problem(with envelope: QueuedMessage, fileID id: String) -> String? {
        guard envelope.id == id else { return "its id \(envelope.id) is not its file name \(id)" }
        guard isSafeID(id) else { return "its id is not a queue id" }
        guard !envelope.recipients.isEmpty else { return "it has no recipients" }
        // The runner counts attempts up; a count near Int.max would trap.
        guard (0...1_000_000).contains(envelope.attempts) else { return "its attempt count \(envelope.attempts) is impossible" }
        for recipient in envelope.recipients {
            guard recipient.address.contains("@"), !recipient.domain.isEmpty else {
                return "recipient \(recipient.address) has no domain"
            }
        }
        return nil
    }

    /// The same recipient twice (a spool written before duplicates were
    /// merged at RCPT): keep the first, so each address is tried once.
    static func mergingDuplicates(_ envelope: QueuedMessage) -> (QueuedMessage, merged: Int) {
        var seen = Set<String>()
        var merged = envelope
        merged.recipients = envelope.recipients.filter { seen.insert($0.address).inserted }
        return (merged, envelope.recipients.count - merged.recipients.count)
    }

    /// Letters, digits, `.`, `-`, `_`; not starting with a dot (no paths).
    static func isSafeID(_ id: String) -> Bool {
        guard let first = id.utf8.first, first != UInt8(ascii: "."), id.utf8.count <= 200 else { return false }
        return id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
                return true
            default:
                return false
            }
        }
    }
}
