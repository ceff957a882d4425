import Foundation
import Synchronization

/// Remembers the CRLF size of messages already measured, so that a login
/// lists a Maildir with one `fstatat` per message instead of reading every
/// file (RFC 1939 STAT and LIST need every size before the first RETR).
///
/// Maildir files never change once they are in `new/` or `cur/` (they are
/// only renamed, which keeps the inode), so an entry is trusted while the
/// file's inode and size are what they were; anything else is measured
/// again. The cache is bounded: when full it is emptied and refilled by the
/// next logins (Dovecot keeps the same fact in its index files).
final class MaildirSizeCache: Sendable {
    private struct Entry {
        var device: UInt64
        var inode: UInt64
        var fileSize: Int
        var wireSize: Int
    }

    private let entries = Mutex<[String: Entry]>([:])
    let capacity: Int

    init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    /// The remembered size of `uid` if the file is still the one measured.
    func wireSize(of uid: String, status: stat) -> Int? {
        entries.withLock { entries in
            guard let entry = entries[uid], entry.device == UInt64(status.st_dev), entry.inode == UInt64(status.st_ino),
                entry.fileSize == Int(status.st_size)
            else { return nil }
            return entry.wireSize
        }
    }

    func remember(_ wireSize: Int, of uid: String, status: stat) {
        let entry = Entry(
            device: UInt64(status.st_dev), inode: UInt64(status.st_ino), fileSize: Int(status.st_size), wireSize: wireSize)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[uid] = entry
        }
    }

    func forget(_ uid: String) {
        _ = entries.withLock { $0.removeValue(forKey: uid) }
    }

    var count: Int { entries.withLock { $0.count } }
}
