import Foundation
import GRDB
import MailCore
import Synchronization

extension Directory {
    /// Finds where mail for a recipient goes (see `DirectorySnapshot.resolve`).
    ///
    /// Answers from an in-memory snapshot, reloaded when the database files
    /// change, so a `sims account add` is seen by the next RCPT without a
    /// restart and without a query per recipient. Blocking (two `stat`
    /// calls, and a read of the database after a change): the server calls
    /// it on the storage thread pool.
    public func resolve(_ path: EnvelopePath) throws -> LocalResolution {
        try currentSnapshot().resolve(path)
    }

    func currentSnapshot() throws -> DirectorySnapshot {
        BlockingWork.assertMayBlock("Directory.currentSnapshot (stat and SQLite)")
        let stamp = DatabaseFileStamp(databasePath: pool.path)
        let now = ContinuousClock.now
        if let cached = snapshotCache.withLock({ cache -> DirectorySnapshot? in
            guard let cache, cache.stamp == stamp, now - cache.loaded < Self.snapshotMaximumAge else { return nil }
            return cache.snapshot
        }) {
            return cached
        }
        let snapshot = try pool.read { db in try DirectorySnapshot.load(db) }
        snapshotCache.withLock { $0 = CachedSnapshot(snapshot: snapshot, stamp: stamp, loaded: now) }
        return snapshot
    }

    static let snapshotMaximumAge: Duration = .seconds(2)

    /// The recipient's accounts from the snapshot in memory, without looking
    /// at the files: never blocks, so the SMTP driver asks it on its event
    /// loop. Only a positive answer (local accounts) is given; anything else
    /// is nil, and the caller confirms with the blocking `resolve` on the
    /// storage pool. So an account added a moment ago (`sims account add`
    /// just before the RCPT) is never refused from a stale snapshot, while
    /// the common case, mail for a known account, costs no thread hand-off.
    /// A removal or an alias change reaches this answer within one
    /// background refresh (`DirectoryRefresher`, every second).
    public func resolveFromMemory(_ path: EnvelopePath) -> LocalResolution? {
        guard let snapshot = lastSnapshot, case .accounts(let accounts) = snapshot.resolve(path) else { return nil }
        return .accounts(accounts)
    }

    /// Loads the snapshot now (blocking), so that the memory-only readers
    /// below have one from the start. The server calls it at startup.
    public func refresh() throws {
        _ = try currentSnapshot()
    }

    /// The snapshot as last loaded, without looking at the files: never
    /// blocks. Every `resolve` brings it up to date first, so a reader that
    /// runs after a recipient's lookup sees what that lookup saw.
    var lastSnapshot: DirectorySnapshot? {
        snapshotCache.withLock { $0?.snapshot }
    }
}

struct CachedSnapshot: Sendable {
    var snapshot: DirectorySnapshot
    var stamp: DatabaseFileStamp
    var loaded: ContinuousClock.Instant
}

extension Directory {
    /// The local domains as the last loaded snapshot has them (memory only:
    /// safe on an event loop); empty before the first load.
    public func localDomainNames() -> Set<String> {
        guard let snapshot = lastSnapshot else { return [] }
        return Set(snapshot.domains.keys)
    }
}

extension Directory {
    /// A fingerprint of the account's current password hash, or nil when the
    /// account does not exist (or is unusable): a POP-before-SMTP window
    /// compares it with the one seen at login, so `sims account passwd` and
    /// `sims account remove` close the window. From the in-memory snapshot,
    /// brought up to date first (two `stat` calls: blocking).
    public func credentialStamp(of account: String) throws -> String? {
        try currentSnapshot().credentialStamps[account.lowercased()]
    }

    /// As `credentialStamp(of:)`, from the last loaded snapshot without
    /// looking at the files (memory only: safe on an event loop). The server
    /// checks a window after the recipient's `resolve` and records one after
    /// a `refresh()`, both of which reload the snapshot after a change.
    public func loadedCredentialStamp(of account: String) -> String? {
        lastSnapshot?.credentialStamps[account.lowercased()]
    }

    /// Accounts and aliases stored by an older version under names that
    /// `AccountLocalPart` does not allow. They are unusable (no mail, no
    /// login, no sending as them); the server names them at startup so the
    /// operator can remove them with `sims account remove` / `sims alias remove`.
    public func unusableEntries() throws -> [String] {
        try pool.read { db in
            let accounts = try String.fetchAll(db, sql: "SELECT address FROM account ORDER BY address")
                .filter { !Self.isAllowedAccountAddress($0) }.map { "account \($0)" }
            let aliases = try String.fetchAll(db, sql: "SELECT DISTINCT address FROM alias ORDER BY address")
                .filter { !Self.isAllowedAccountAddress($0) }.map { "alias \($0)" }
            return accounts + aliases
        }
    }
}
