import Logging
import MailCore
import MailStore

/// What one POP3 connection holds of its maildrop: the lock, the snapshot
/// taken at login, what the session did with it, and a buffer reused to
/// read message files.
///
/// Used only by the connection's own task (hence unchecked).
final class POP3Mailbox: @unchecked Sendable {
    /// The account whose lock this session holds (until `releaseLock`).
    var lockedAccount: String?
    private var lockReleased = false
    /// The session's messages by uid, after login.
    var messages: [String: MaildirMessage] = [:]
    var retrieved = 0
    var deleted = 0
    /// Message files are read into this, so a download of thousands of
    /// messages allocates once (see `MaildirReader.read(_:into:)`).
    let scratch = ReadBuffer()

    /// Releases the maildrop lock and logs the logout, at most once: right
    /// after the UPDATE state at QUIT, or when the connection ends any
    /// other way.
    func releaseLock(_ locks: MailboxLocks, logger: Logger) {
        guard let account = lockedAccount, !lockReleased else { return }
        lockReleased = true
        locks.unlock(account)
        logger.info("logout \(LogField.word(account)): retrieved \(retrieved), deleted \(deleted)")
    }

    /// Drops a scratch buffer that a large message grew, so an idle session
    /// does not keep megabytes.
    func trimScratch() {
        if scratch.bytes.count > 1 << 20 { scratch.bytes = [] }
    }
}

/// A session's read buffer, lent to the storage pool for one read at a
/// time: the session awaits each read before it touches the buffer again,
/// which is what makes the unchecked Sendable sound.
final class ReadBuffer: @unchecked Sendable {
    var bytes: [UInt8] = []
}
