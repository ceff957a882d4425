import CFileSync
import Foundation

/// Makes written files durable, one `syncfs` for many writers.
///
/// Every caller needs a sync that *started after* its own writes; callers
/// that arrive while a sync is running share the next one. With twenty
/// sessions delivering at once this replaces forty fsyncs (file and
/// directory, per message) by a couple of syncfs calls, measured in
/// bench/smtp-inbound. syncfs(2) flushes the whole file system, so on a disk
/// shared with heavy unrelated writers `storage.sync = "fsync"` (one fsync
/// per file and directory, as Postfix does) can have steadier latency.
public final class GroupCommit: @unchecked Sendable {
    private let condition = NSCondition()
    private var started: UInt64 = 0
    private var finished: UInt64 = 0
    private var syncing = false
    /// The newest sync generation that failed; a caller covered by it fails too.
    private var failedGeneration: UInt64 = 0
    private var failure: Int32 = 0

    public init() {}

    /// Blocks until everything written before the call is on stable storage
    /// (the file system holding `fd`). Call from a blocking-I/O thread.
    public func sync(fileSystemOf fd: Int32) throws(DeliveryError) {
        BlockingWork.assertMayBlock("GroupCommit.sync")
        condition.lock()
        defer { condition.unlock() }
        let needed = started + 1
        while finished < needed {
            if syncing {
                condition.wait()
                continue
            }
            syncing = true
            started += 1
            let generation = started
            condition.unlock()
            let result = sims_syncfs(fd)
            let error = result == 0 ? 0 : errno
            condition.lock()
            if result != 0 {
                failedGeneration = generation
                failure = error
            }
            finished = generation
            syncing = false
            condition.broadcast()
        }
        if failedGeneration >= needed {
            let text = "syncfs: \(String(cString: strerror(failure)))"
            throw (failure == ENOSPC || failure == EDQUOT) ? .insufficientStorage(text) : .ioError(text)
        }
    }
}
