import NIOCore
import Synchronization

/// The read timeout currently in force for one connection. The connection
/// task switches it between the command and the data timeout; the framing
/// handler reads it on the event loop.
final class ReadTimeout: Sendable {
    private let nanoseconds: Atomic<Int64>

    init(_ amount: TimeAmount) {
        nanoseconds = Atomic(amount.nanoseconds)
    }

    var value: TimeAmount {
        get { .nanoseconds(nanoseconds.load(ordering: .relaxed)) }
        set { nanoseconds.store(newValue.nanoseconds, ordering: .relaxed) }
    }
}
