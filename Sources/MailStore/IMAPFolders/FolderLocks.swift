import Foundation
import Synchronization

/// Per-folder locks shared by every session of the process (one instance in
/// the server), each also holding Dovecot's dotlock (`dovecot-uidlist.lock`
/// in the folder) so that a Dovecot working on the same files waits for SIMS
/// while a `dovecot-uidlist` is read, changed and written, and SIMS waits
/// for it.
public final class FolderLocks: Sendable {
    /// One lock per folder path, created on first use and kept: an account
    /// has a handful of folders, and a lock must never be replaced while a
    /// thread waits on it.
    private let locks = Mutex<[String: NSLock]>([:])
    /// The folders' last snapshots, shared like the locks.
    let snapshots = FolderSnapshotCache()
    /// Per folder, the highest UID some session has already seen (IMAP4rev1's
    /// \Recent goes to the first session that sees a message, as Dovecot's
    /// index records it; here for the life of the process).
    private let recentMarks = Mutex<[String: UInt32]>([:])

    /// The UIDs among `uids` that no session had seen before: they are
    /// \Recent for the caller. The first call for a folder only sets the
    /// mark (what was there before this process is nobody's news; messages
    /// still in `new/` are recent through the snapshot).
    public func claimRecent(_ folderPath: String, uids: [UInt32]) -> Set<UInt32> {
        guard let highest = uids.max() else { return [] }
        return recentMarks.withLock { marks in
            guard let mark = marks[folderPath] else {
                marks[folderPath] = highest
                return []
            }
            marks[folderPath] = max(mark, highest)
            return Set(uids.filter { $0 > mark })
        }
    }

    public init() {}

    /// Runs `body` holding the folder's lock and its dotlock.
    public func withLock<T>(_ folderPath: String, _ body: () throws -> T) rethrows -> T {
        try withLock(folderPath, dotlock: "\(folderPath)/\(MaildirUIDListFile.name).lock", body)
    }

    /// Runs `body` holding the process lock named `key` and the dotlock file
    /// `dotlock` (the subscriptions file uses `subscriptions.lock`).
    func withLock<T>(_ key: String, dotlock: String, _ body: () throws -> T) rethrows -> T {
        BlockingWork.assertMayBlock("FolderLocks.withLock")
        let lock = locks.withLock { locks in
            if let existing = locks[key] { return existing }
            let created = NSLock()
            locks[key] = created
            return created
        }
        lock.lock()
        defer { lock.unlock() }
        let held = Dotlock.acquire(dotlock)
        defer { if held { unlink(dotlock) } }
        return try body()
    }
}

/// Dovecot's dotlock protocol: a lock file created with O_EXCL, holding
/// `pid:host`, removed to unlock. A lock is stale (removed and taken) when
/// its file is older than two minutes, as Dovecot's uidlist lock is, or
/// when it names a process of this host that no longer exists (a SIMS or a
/// Dovecot killed while holding it).
enum Dotlock {
    static let staleAfter: TimeInterval = 120

    /// True when the lock was taken; false when it cannot be (the folder is
    /// gone, no permission): the caller goes on with its process lock alone,
    /// since refusing all work over a lock file would be worse.
    static func acquire(_ path: String) -> Bool {
        var backoff: UInt32 = 500
        while true {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 {
                let owner = Array("\(getpid()):\(hostName)".utf8)
                _ = owner.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
                return true
            }
            guard errno == EEXIST else { return false }
            if isStale(path) {
                // A lock that cannot be removed (a directory, no permission)
                // would be waited for forever.
                guard unlink(path) == 0 || errno == ENOENT else { return false }
                continue
            }
            // Dovecot holds the lock for a few milliseconds per change.
            usleep(backoff)
            backoff = min(backoff * 2, 50_000)
        }
    }

    static func isStale(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        let age = Date().timeIntervalSince1970 - TimeInterval(status.st_mtim.tv_sec)
        if age > staleAfter { return true }
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, String(parts[1]) == hostName else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()
}
