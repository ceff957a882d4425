import MailStore
import Synchronization

/// How much each account stores, against `storage.quota` (RFC 9208
/// STORAGE): checked at RCPT (`452 4.2.2`, so an over-quota mailbox never
/// causes a bounce later), at APPEND and at COPY.
///
/// Measuring walks every folder of the Maildir, so a measurement is kept
/// for a minute and deliveries and appends are added to it meanwhile;
/// deletions are seen at the next measurement. A mailbox may thus go over
/// its quota by what arrives within a minute, never by more.
final class QuotaLedger: Sendable {
    /// Bytes each account may store; nil: no limit.
    let limit: Int64?
    private let entries = Mutex<[String: Entry]>([:])
    static let freshness: Duration = .seconds(60)

    private struct Entry {
        var bytes: Int64
        var measured: ContinuousClock.Instant
    }

    init(limit: Int64?) {
        self.limit = limit
    }

    /// Whether `account` may receive `adding` more bytes. Measures on the
    /// storage pool when the last measurement is stale.
    func allows(_ adding: Int64, to account: String, maildir: String, storage: LocalDelivery) async throws -> Bool {
        guard let limit else { return true }
        return try await usage(of: account, maildir: maildir, storage: storage) + adding <= limit
    }

    /// The account's usage in bytes (measured at most a minute ago).
    func usage(of account: String, maildir: String, storage: LocalDelivery) async throws -> Int64 {
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[account] }), entry.measured.duration(to: now) < Self.freshness {
            return entry.bytes
        }
        let locks = storage.folderLocks
        let bytes = try await storage.run { try MailboxStore(maildir: maildir, locks: locks).usage().bytes }
        entries.withLock { $0[account] = Entry(bytes: bytes, measured: now) }
        return bytes
    }

    /// Records bytes stored since the last measurement.
    func add(_ bytes: Int64, to accounts: [String]) {
        guard limit != nil else { return }
        entries.withLock { entries in
            for account in accounts { entries[account]?.bytes += bytes }
        }
    }

    /// Drops the measurement (after an expunge), so the next check measures.
    func forget(_ account: String) {
        _ = entries.withLock { $0.removeValue(forKey: account) }
    }
}
