import Foundation
import MailCore
import MailStore
import NIOPosix

/// Runs Maildir deliveries on a thread pool of their own: write and fsync
/// block, and must never stall an event loop or Swift's cooperative threads.
struct LocalDelivery: BlockingWorkRunner {
    let writer: MaildirWriter
    let threadPool: NIOThreadPool
    /// IMAP's folder locks and change notices: a delivery tells the
    /// account's IMAP sessions (IDLE reports the new mail at once).
    var folderLocks = FolderLocks()
    var notifier = MailboxNotifier()
    /// `storage.quota`: measured usage, and what deliveries add to it.
    var quota = QuotaLedger(limit: nil)

    /// Runs other blocking storage work (the queue's spool, directory
    /// lookups, POP3 reads) on the same pool.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(work)
    }

    func deliver(_ message: [UInt8], to accounts: [String], id: QueueID) async throws -> [String] {
        try await deliver(MessageContent(message), to: accounts, id: id)
    }

    /// - Parameter folder: a Maildir++ folder (`Junk`) instead of INBOX.
    func deliver(_ message: MessageContent, to accounts: [String], id: QueueID, folder: String? = nil) async throws -> [String] {
        let paths = try await threadPool.runIfActive { [writer] in
            try writer.deliver(message, to: accounts, id: id, folder: folder)
        }
        notifier.changed(accounts)
        quota.add(Int64(message.count), to: accounts)
        return paths
    }
}
