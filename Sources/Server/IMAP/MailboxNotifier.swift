import NIOCore
import Synchronization

/// Tells IMAP sessions that their account's mail changed: a delivery, a
/// POP3 session's deletions, or another IMAP session's STORE, EXPUNGE,
/// APPEND or COPY. One registry for the process, no polling: a session in
/// IDLE learns of new mail within the time it takes to rescan its folder.
///
/// The news travels as an event through the session's own channel
/// pipeline (`MailboxChangedEvent`), so it reaches the session's task in
/// the same stream as the client's commands, between two of them.
final class MailboxNotifier: Sendable {
    private let sessions = Mutex<[String: [ObjectIdentifier: any Channel]]>([:])

    /// Registers a logged-in session's channel for `account`; false when
    /// the account already has `limit` sessions (`imap.max_sessions_per_account`).
    func register(_ channel: any Channel, account: String, limit: Int) -> Bool {
        sessions.withLock { sessions in
            guard (sessions[account]?.count ?? 0) < limit else { return false }
            sessions[account, default: [:]][ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func unregister(_ channel: any Channel, account: String) {
        sessions.withLock { sessions in
            sessions[account]?[ObjectIdentifier(channel)] = nil
            if sessions[account]?.isEmpty == true { sessions[account] = nil }
        }
    }

    /// Tells every session of these accounts but `except` (the one that
    /// made the change and reports it itself).
    func changed(_ accounts: [String], except: (any Channel)? = nil) {
        let skip = except.map(ObjectIdentifier.init)
        let channels = sessions.withLock { sessions in
            accounts.flatMap { account in
                (sessions[account] ?? [:]).filter { $0.key != skip }.map(\.value)
            }
        }
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(MailboxChangedEvent())
        }
    }
}
