import Synchronization

/// One POP3 session per mailbox at a time (RFC 1939 § 8: the server may
/// refuse a second one; RFC 2449's [IN-USE] tells the client why).
final class MailboxLocks: Sendable {
    private let held = Mutex<Set<String>>([])

    /// Takes the lock; false if another session holds it.
    func lock(_ account: String) -> Bool {
        held.withLock { $0.insert(account).inserted }
    }

    func unlock(_ account: String) {
        _ = held.withLock { $0.remove(account) }
    }
}
