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
    private struct Session {
        let channel: any Channel
        /// A notice is on its way and not yet taken: another is not sent.
        /// A thousand deliveries to a session whose client reads nothing
        /// then queue one event, not a thousand.
        var pending = false
    }

    private let sessions = Mutex<[String: [ObjectIdentifier: Session]]>([:])

    /// Registers a logged-in session's channel for `account`; false when
    /// the account already has `limit` sessions (`imap.max_sessions_per_account`).
    func register(_ channel: any Channel, account: String, limit: Int) -> Bool {
        sessions.withLock { sessions in
            guard (sessions[account]?.count ?? 0) < limit else { return false }
            sessions[account, default: [:]][ObjectIdentifier(channel)] = Session(channel: channel)
            return true
        }
    }

    func unregister(_ channel: any Channel, account: String) {
        sessions.withLock { sessions in
            sessions[account]?[ObjectIdentifier(channel)] = nil
            if sessions[account]?.isEmpty == true { sessions[account] = nil }
        }
    }

    /// The session took its notice (it reads the folder after this).
    func taken(by channel: any Channel, account: String) {
        sessions.withLock { $0[account]?[ObjectIdentifier(channel)]?.pending = false }
    }

    /// Tells every session of these accounts but `except` (the one that
    /// made the change and reports it itself).
    func changed(_ accounts: [String], except: (any Channel)? = nil) {
        let skip = except.map(ObjectIdentifier.init)
        let channels = sessions.withLock { sessions -> [any Channel] in
            var due: [any Channel] = []
            for account in accounts {
                guard var entries = sessions[account] else { continue }
                for (id, session) in entries where id != skip && !session.pending {
                    entries[id]?.pending = true
                    due.append(session.channel)
                }
                sessions[account] = entries
            }
            return due
        }
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(MailboxChangedEvent())
        }
    }
}
