import NIOCore
import Synchronization

/// What makes two sends able to share a connection: the same server, and
/// the same conditions under which the connection was set up.
struct ConnectionKey: Hashable, Sendable {
    var host: String
    var port: Int
    var tls: TLSPolicy
    var credentials: Credentials?
    var serverName: String?
}

/// An open connection between two transactions, with what was negotiated on
/// it, so that the next session skips EHLO, STARTTLS and AUTH.
struct IdleConnection: Sendable {
    let id: UInt64
    let channel: any Channel
    let handler: NIOLoopBound<SMTPClientHandler>
    let established: EstablishedConnection
}

/// The connections kept open for reuse, per destination.
///
/// A connection is in here only while nobody uses it: `take` removes it, and
/// the handler puts it back (`checkIn`) after its next transaction. The
/// handler's idle timer and the peer closing it race with `take`; whoever
/// removes the entry first owns the connection.
final class ConnectionCache: Sendable {
    private struct State {
        var idle: [ConnectionKey: [IdleConnection]] = [:]
        var isShutDown = false
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    let maximumIdlePerKey: Int

    init(maximumIdlePerKey: Int) {
        self.maximumIdlePerKey = maximumIdlePerKey
    }

    func makeID() -> UInt64 {
        state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
    }

    /// Keeps `connection` for the next send to `key`; false when the cache is
    /// full for that key or shut down (the caller then QUITs it).
    func checkIn(_ connection: IdleConnection, key: ConnectionKey) -> Bool {
        state.withLock { state in
            guard !state.isShutDown, state.idle[key, default: []].count < maximumIdlePerKey else { return false }
            state.idle[key, default: []].append(connection)
            return true
        }
    }

    /// The most recently used idle connection for `key`, now owned by the caller.
    func take(_ key: ConnectionKey) -> IdleConnection? {
        state.withLock { state in
            guard var list = state.idle[key], let connection = list.popLast() else { return nil }
            state.idle[key] = list.isEmpty ? nil : list
            return connection
        }
    }

    /// Removes the connection `id`; false when it is not there (taken).
    func remove(id: UInt64, key: ConnectionKey) -> Bool {
        state.withLock { state in
            guard var list = state.idle[key], let index = list.firstIndex(where: { $0.id == id }) else { return false }
            list.remove(at: index)
            state.idle[key] = list.isEmpty ? nil : list
            return true
        }
    }

    /// Empties the cache for good: later connections are not kept.
    func shutDown() -> [IdleConnection] {
        state.withLock { state in
            state.isShutDown = true
            let all = state.idle.values.flatMap { $0 }
            state.idle = [:]
            return all
        }
    }

    /// Idle connections for `key` (for tests and logs).
    func idleCount(_ key: ConnectionKey) -> Int {
        state.withLock { $0.idle[key]?.count ?? 0 }
    }
}

/// What a handler needs to put its connection back into the cache.
struct ReuseContext: Sendable {
    let cache: ConnectionCache
    let key: ConnectionKey
    let id: UInt64
    let maximumReuse: Int
    let idleTimeout: Duration
}
