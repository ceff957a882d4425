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
        BlockingWork.assertMayBlock("DurableFiles.syncDirectories")
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
        try writeNewFiles([(MessageContent(bytes), path)])
    }

    /// Writes a new file from its parts and makes it durable before returning.
    public func writeNewFile(_ content: MessageContent, to path: String) throws(DeliveryError) {
        try writeNewFiles([(content, path)])
    }

    /// Writes several new files and makes them all durable with one sync
    /// (one syncfs in group mode), so that a queue entry's message and
    /// envelope cost one wait, not two. On failure none of them is left.
    public func writeNewFiles(_ files: [(content: MessageContent, path: String)]) throws(DeliveryError) {
        BlockingWork.assertMayBlock("DurableFiles.writeNewFiles")
        var descriptors: [(fd: Int32, path: String)] = []
        var failure: DeliveryError?
        for file in files {
            let fd = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                failure = Self.error(errno, "open \(file.path)")
                break
            }
            descriptors.append((fd, file.path))
            if let error = Self.write(file.content, to: fd, path: file.path) {
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

    private static func write(_ content: MessageContent, to fd: Int32, path: String) -> DeliveryError? {
        if let error = writeAll(content.head, to: fd, path: path) { return error }
        if let spill = content.spillFile, let error = copy(spill, size: content.spillSize, to: fd, path: path) {
            return error
        }
        return writeAll(content.tail, to: fd, path: path)
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) -> DeliveryError? {
        bytes.withUnsafeBytes { writeAll($0, to: fd, path: path) }
    }

    private static func writeAll(_ buffer: UnsafeRawBufferPointer, to fd: Int32, path: String) -> DeliveryError? {
        guard let base = buffer.baseAddress else { return nil }
        var offset = 0
        while offset < buffer.count {
            let written = Foundation.write(fd, base + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return Self.error(errno, "write \(path)")
            }
            offset += written
        }
        return nil
    }

    /// Appends the first `size` bytes of the file at `source`, in chunks.
    private static func copy(_ source: String, size: Int, to fd: Int32, path: String) -> DeliveryError? {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return Self.error(errno, "open \(source)") }
        defer { close(input) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        var copied = 0
        while copied < size {
            let wanted = min(chunk.count, size - copied)
            let got = pread(input, chunk.baseAddress, wanted, off_t(copied))
            if got < 0 {
                if errno == EINTR { continue }
                return Self.error(errno, "read \(source)")
            }
            if got == 0 { return .ioError("read \(source): \(copied) of \(size) bytes, then end of file") }
            if let error = writeAll(UnsafeRawBufferPointer(rebasing: chunk[..<got]), to: fd, path: path) { return error }
            copied += got
        }
        return nil
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
