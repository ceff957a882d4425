import IMAPProtocol
import MailStore
import Policy

/// What every IMAP connection shares.
struct IMAPServices: Sendable {
    let hostname: String
    let credentials: CredentialCheck
    let tls: ServerTLS
    /// LOGIN and AUTHENTICATE without TLS (`imap.allow_plaintext`).
    let plaintextAllowed: Bool
    /// `imap.timeout` (RFC 9051 § 5.4: at least 30 minutes) and the session limit.
    let timeouts: SessionTimeouts.Settings
    /// The storage thread pool (every Maildir operation runs there).
    let delivery: LocalDelivery
    /// Where each account's Maildir is.
    let layout: MaildirWriter
    let sync: SyncMode
    let folderLocks: FolderLocks
    let notifier: MailboxNotifier
    /// Line length, literal size (the APPEND limit), literals per command.
    let limits: IMAPCommandFramer.Limits
    let maximumSessionsPerAccount: Int

    /// `storage.quota`, shared with delivery.
    var quota: QuotaLedger { delivery.quota }
}
