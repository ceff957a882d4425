import Foundation
import Queue

/// `sims queue list`: three lines per message, none wider than 80 columns,
/// the id first on its line (scripts take `^S\.\S+`). `sims queue show` has
/// everything that is shortened here.
enum QueueListing {
    static let width = 80

    static func lines(for envelope: QueuedMessage) -> [String] {
        let pending = envelope.pendingRecipients.map { "<\($0.address)>" }
        let count = "\(pending.count) \(pending.count == 1 ? "recipient" : "recipients") pending"
        return [
            fit("\(envelope.id)  from <\(envelope.reversePath)>"),
            fit("  \(count): \(listing(pending, room: width - count.count - 4))"),
            "  \(envelope.attempts) \(envelope.attempts == 1 ? "attempt" : "attempts"), "
                + "next \(QueueCommand.describe(envelope.nextAttempt))",
        ]
    }

    /// As many addresses as fit in `room` columns, then "and N more"; an
    /// address too long to fit with that tail is cut (`<long…>`).
    static func listing(_ items: [String], room: Int) -> String {
        var shown: [String] = []
        for (index, item) in items.enumerated() {
            let rest = items.count - index - 1
            let tail = rest > 0 ? " and \(rest) more" : ""
            if (shown + [item]).joined(separator: ", ").count + tail.count <= room {
                shown.append(item)
                continue
            }
            if shown.isEmpty {
                return String(item.dropLast().prefix(max(1, room - tail.count - 2))) + "…>" + tail
            }
            return shown.joined(separator: ", ") + " and \(items.count - shown.count) more"
        }
        return shown.joined(separator: ", ")
    }

    /// The line, cut to the width with an ellipsis.
    static func fit(_ line: String) -> String {
        line.count <= width ? line : String(line.prefix(width - 1)) + "…"
    }
}
