import Foundation
import Testing

@testable import Queue

@Suite("Queue index: due messages without scanning the queue")
struct QueueIndexTests {
    func message(_ id: String, at seconds: TimeInterval) -> QueuedMessage {
        var message = envelope(id, to: ["bob@remote.test"])
        message.nextAttempt = Date(timeIntervalSince1970: seconds)
        return message
    }

    @Test("Due messages come oldest first, up to the limit, and are claimed")
    func dueInOrder() {
        var index = QueueIndex()
        for (id, time) in [("c", 30.0), ("a", 10), ("b", 20), ("later", 100)] { index.put(message(id, at: time)) }
        #expect(index.takeDue(now: Date(timeIntervalSince1970: 50), limit: 2) == ["a", "b"])
        #expect(index.takeDue(now: Date(timeIntervalSince1970: 50), limit: 10) == ["c"])
        #expect(index.isInFlight("a") && index.isInFlight("c"))
        #expect(index.nextDue() == Date(timeIntervalSince1970: 100))
    }

    @Test("A rescheduled message is due at its new time only; a removed one never")
    func staleEntries() {
        var index = QueueIndex()
        index.put(message("x", at: 10))
        index.put(message("x", at: 60))  // rescheduled
        index.put(message("gone", at: 5))
        index.remove("gone")
        #expect(index.takeDue(now: Date(timeIntervalSince1970: 30), limit: 10).isEmpty)
        #expect(index.nextDue() == Date(timeIntervalSince1970: 60))
        #expect(index.takeDue(now: Date(timeIntervalSince1970: 60), limit: 10) == ["x"])
    }

    @Test("A message in flight is not handed out twice; after release it is scheduled again")
    func inFlight() {
        var index = QueueIndex()
        index.put(message("m", at: 10))
        #expect(index.takeDue(now: Date(timeIntervalSince1970: 10), limit: 10) == ["m"])
        index.put(message("m", at: 10))  // e.g. the attempt saved its state
        #expect(index.takeDue(now: Date(timeIntervalSince1970: 10), limit: 10).isEmpty)
        index.release("m")
        #expect(index.takeDue(now: Date(timeIntervalSince1970: 10), limit: 10) == ["m"])
    }
}
