import Foundation
import HeapModule

/// The runner's view of the queue: every envelope by id, and a min-heap of
/// next-attempt times, so that finding due messages costs O(log n) per
/// message instead of a scan of the whole queue on every wake-up (a queue can
/// hold a hundred thousand deferred messages after an outage).
///
/// The heap may hold stale entries (a message rescheduled or removed since);
/// they are recognised by comparing with the envelope and dropped when met.
struct QueueIndex {
    private struct Entry: Comparable {
        var date: Date
        var id: String
        static func < (lhs: Entry, rhs: Entry) -> Bool { (lhs.date, lhs.id) < (rhs.date, rhs.id) }
    }

    private(set) var messages: [String: QueuedMessage] = [:]
    private(set) var inFlight: Set<String> = []
    private var schedule = Heap<Entry>()

    var count: Int { messages.count }
    subscript(id: String) -> QueuedMessage? { messages[id] }

    /// Adds or replaces an envelope and (re)schedules it at its nextAttempt.
    mutating func put(_ envelope: QueuedMessage) {
        messages[envelope.id] = envelope
        schedule.insert(Entry(date: envelope.nextAttempt, id: envelope.id))
    }

    @discardableResult
    mutating func remove(_ id: String) -> QueuedMessage? {
        messages.removeValue(forKey: id)
    }

    func isInFlight(_ id: String) -> Bool { inFlight.contains(id) }

    /// Marks a message as taken by an attempt (or an administrative bounce).
    mutating func claim(_ id: String) { inFlight.insert(id) }

    /// Ends an attempt; the message is scheduled again at its nextAttempt.
    mutating func release(_ id: String) {
        inFlight.remove(id)
        if let envelope = messages[id] {
            schedule.insert(Entry(date: envelope.nextAttempt, id: id))
        }
    }

    /// Takes up to `limit` messages whose attempt is due, oldest first, and claims them.
    mutating func takeDue(now: Date, limit: Int) -> [String] {
        var due: [String] = []
        while due.count < limit, let top = schedule.min, top.date <= now {
            schedule.removeMin()
            guard isCurrent(top), !inFlight.contains(top.id) else { continue }
            inFlight.insert(top.id)
            due.append(top.id)
        }
        return due
    }

    /// The earliest next attempt of a message not in flight.
    mutating func nextDue() -> Date? {
        while let top = schedule.min {
            if isCurrent(top), !inFlight.contains(top.id) { return top.date }
            schedule.removeMin()
        }
        return nil
    }

    /// All ids (for "retry all").
    var ids: [String] { Array(messages.keys) }

    private func isCurrent(_ entry: Entry) -> Bool {
        messages[entry.id]?.nextAttempt == entry.date
    }
}
