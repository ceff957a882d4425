import Foundation

/// A message identifier that is unique across restarts: `S.` followed by the
/// time in microseconds and a per-process sequence number, in base 36.
///
/// It appears in the Received header, in every log line about the message, and
/// in the Maildir file name, so one grep finds a message's whole life.
public struct QueueID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
}

/// Hands out queue ids. The sequence number makes ids from one process unique
/// even within one microsecond; the random start makes two processes started
/// in the same microsecond unlikely to collide.
public final class QueueIDGenerator: Sendable {
    private let state: LockedCounter

    public init() {
        state = LockedCounter(start: UInt32.random(in: 0..<46_656))
    }

    public func next(now: Date = Date()) -> QueueID {
        let micros = UInt64(max(0, now.timeIntervalSince1970) * 1_000_000)
        let sequence = state.increment() % 46_656  // three base-36 digits
        let time = String(micros, radix: 36, uppercase: true)
        var sequenceText = String(sequence, radix: 36, uppercase: true)
        while sequenceText.count < 3 { sequenceText = "0" + sequenceText }
        return QueueID(rawValue: "S.\(time)\(sequenceText)")
    }
}

/// A counter behind a lock; small enough not to need a dependency.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt32

    init(start: UInt32) { value = start }

    func increment() -> UInt32 {
        lock.lock()
        defer { lock.unlock() }
        value &+= 1
        return value
    }
}
