import Foundation
import Synchronization

/// When a folder last changed on disk: the modification times (ns) of its
/// `new/`, `cur/`, `dovecot-uidlist` and `dovecot-keywords`. Every change a
/// writer can make (a delivery, a flag rename, an expunge, a new UID, a new
/// keyword) changes one of them.
public enum FolderStamp {
    public static func of(_ folderPath: String) -> [Int64] {
        ["new", "cur", MaildirUIDListFile.name, "dovecot-keywords"].map { entry in
            var status = stat()
            guard stat("\(folderPath)/\(entry)", &status) == 0 else { return -1 }
            return Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        }
    }

    /// Whether every time in the stamp is at least `age` ago: a change made
    /// within the same clock tick as the reading could leave a time as it
    /// was, so only a stamp that old proves that nothing changed since.
    static func isSettled(_ stamp: [Int64], age: Int64 = 1_000_000_000) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanoseconds = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        return stamp.allSatisfy { $0 <= nanoseconds - age }
    }
}

/// The last snapshot of each folder, shared by every session of the process
/// (as Dovecot's index is): a SELECT of a folder of 10,000 messages that has
/// not changed since costs four stat calls instead of listing and stat-ing
/// every file. Kept only with a settled stamp (see `FolderStamp.isSettled`).
final class FolderSnapshotCache: Sendable {
    private struct Entry {
        var stamp: [Int64]
        var snapshot: FolderSnapshot
        /// Some files were still in `new/`: a read-write SELECT must move them.
        var hasNew: Bool
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// Folders remembered at most (an account has a handful; a server thousands).
    static let capacity = 2000

    func snapshot(of folderPath: String, stamp: [Int64], moveNewToCur: Bool) -> FolderSnapshot? {
        entries.withLock { entries in
            guard let entry = entries[folderPath], entry.stamp == stamp, !(moveNewToCur && entry.hasNew) else { return nil }
            return entry.snapshot
        }
    }

    func remember(_ snapshot: FolderSnapshot, of folderPath: String, stamp: [Int64]) {
        guard FolderStamp.isSettled(stamp) else { return }
        let hasNew = snapshot.messages.contains { $0.path.contains("/new/") }
        entries.withLock { entries in
            if entries.count >= Self.capacity, entries[folderPath] == nil { entries.removeAll(keepingCapacity: true) }
            entries[folderPath] = Entry(stamp: stamp, snapshot: snapshot, hasNew: hasNew)
        }
    }
}
