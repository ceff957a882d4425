import Foundation

/// Writes files and directory entries so that they survive a crash, with
/// either per-file fsync or a shared group commit (see `SyncMode`). Used by
/// the Maildir writer and the queue's spool alike.
public struct DurableFiles: Sendable {
    let groupCommit: GroupCommit?

    public init(sync: SyncMode) {
        groupCommit = sync == .group ? GroupCommit() : nil
    }

    /// Makes new directory entries (links, renames) in these directories
    /// durable: fsync each directory, or one shared syncfs.
    public func syncDirectories(_ directories: [String]) throws(DeliveryError) {
        guard !directories.isEmpty else { return }
        guard let groupCommit else {
            for directory in directories { try syncDirectory(directory) }
            return
        }
        let fd = open(directories[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.error(errno, "open \(directories[0])") }
        defer { close(fd) }
        try groupCommit.sync(fileSystemOf: fd)
    }

    /// Writes a new file and makes its content durable before returning.
    public func writeNewFile(_ bytes: [UInt8], to path: String) throws(DeliveryError) {
        try writeNewFiles([(bytes, path)])
    }

    /// Writes several new files and makes them all durable with one sync
    /// (one syncfs in group mode), so that a queue entry's message and
    /// envelope cost one wait, not two. On failure none of them is left.
    public func writeNewFiles(_ files: [(bytes: [UInt8], path: String)]) throws(DeliveryError) {
        var descriptors: [(fd: Int32, path: String)] = []
        var failure: DeliveryError?
        for file in files {
            let fd = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                failure = Self.error(errno, "open \(file.path)")
                break
            }
            descriptors.append((fd, file.path))
            if let error = Self.writeAll(file.bytes, to: fd, path: file.path) {
                failure = error
                break
            }
        }
        if failure == nil, let first = descriptors.first {
            if let groupCommit {
                do { try groupCommit.sync(fileSystemOf: first.fd) } catch { failure = error }
            } else {
                for descriptor in descriptors where fsync(descriptor.fd) != 0 {
                    failure = Self.error(errno, "fsync \(descriptor.path)")
                    break
                }
            }
        }
        for descriptor in descriptors where close(descriptor.fd) != 0 && failure == nil {
            failure = Self.error(errno, "close \(descriptor.path)")
        }
        if let failure {
            for descriptor in descriptors { unlink(descriptor.path) }
            throw failure
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) -> DeliveryError? {
        bytes.withUnsafeBytes { buffer -> DeliveryError? in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return Self.error(errno, "write \(path)")
                }
                offset += written
            }
            return nil
        }
    }

    private func syncDirectory(_ path: String) throws(DeliveryError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.error(errno, "open \(path)") }
        defer { close(fd) }
        if fsync(fd) != 0 { throw Self.error(errno, "fsync \(path)") }
    }

    public static func error(_ code: Int32, _ what: String) -> DeliveryError {
        let text = "\(what): \(String(cString: strerror(code)))"
        return (code == ENOSPC || code == EDQUOT) ? .insufficientStorage(text) : .ioError(text)
    }
}
