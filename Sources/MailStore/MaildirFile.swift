import Foundation

/// Plain POSIX reads for Maildir files: a reader lists and sends thousands of
/// them per session, where Foundation's attribute dictionaries and `Data`
/// copies cost more than the I/O itself.
enum MaildirFile {
    /// `lstat(2)`: nil when the entry is gone or is not a regular file
    /// (symlinks and directories are never messages).
    static func regularFileStatus(_ path: String) -> stat? {
        var status = stat()
        guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return status
    }

    /// The whole file, read into one array sized from `fstat` (one spare
    /// byte, so the read that sees end-of-file needs no second allocation;
    /// a file that grew meanwhile is read to its end).
    static func contents(of path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DurableFiles.error(errno, "open \(path)") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw DurableFiles.error(errno, "fstat \(path)") }
        var bytes = [UInt8](repeating: 0, count: max(Int(status.st_size), 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 4096))) }
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw DurableFiles.error(errno, "read \(path)")
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// The size RFC 1939 reports: the octets with every line ending in CR LF,
    /// exactly as POP3MessageWire sends them. A bare LF gains a CR; a last
    /// line without LF gains CR LF (or only LF when it ends in a lone CR,
    /// which the sender takes as part of the line ending).
    static func wireSize(of bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            var size = buffer.count
            var previous: UInt8 = 0
            for byte in buffer {
                if byte == 0x0A && previous != 0x0D { size += 1 }
                previous = byte
            }
            if let last = buffer.last, last != 0x0A { size += last == 0x0D ? 1 : 2 }
            return size
        }
    }
}
