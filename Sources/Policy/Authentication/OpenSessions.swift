import Synchronization

/// The SMTP and POP3 sessions open from each client address, so that a ban
/// ends the sessions an attacker already holds, not only new connections.
///
/// A listener registers each admitted connection with a closure that says
/// goodbye and closes it; `AuthenticationGuard` bans an address and
/// `CredentialCheck` then ends every other session from that address (the
/// session that tripped the ban answers for itself).
public final class OpenSessions: Sendable {
    /// Identifies one connection (its channel).
    public typealias SessionID = ObjectIdentifier

    private let sessions = Mutex([String: [SessionID: @Sendable () -> Void]]())

    public init() {}

    /// Records an open session from `address`; `end` says goodbye and closes
    /// it, from any thread. Pair with `close`.
    public func open(_ id: SessionID, from address: String, end: @escaping @Sendable () -> Void) {
        sessions.withLock { $0[address, default: [:]][id] = end }
    }

    /// The session is over.
    public func close(_ id: SessionID, from address: String) {
        sessions.withLock { sessions in
            sessions[address]?[id] = nil
            if sessions[address]?.isEmpty == true { sessions[address] = nil }
        }
    }

    /// Ends every session from `address` except `except`; returns how many.
    @discardableResult
    public func endAll(from address: String, except: SessionID?) -> Int {
        let enders = sessions.withLock { sessions in
            (sessions[address] ?? [:]).filter { $0.key != except }.map(\.value)
        }
        for end in enders { end() }
        return enders.count
    }

    /// Sessions open from `address` (for tests).
    public func count(from address: String) -> Int {
        sessions.withLock { $0[address]?.count ?? 0 }
    }
}
