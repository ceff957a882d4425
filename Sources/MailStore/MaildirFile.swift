import CFileSync
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

    /// The regular files of a directory with their `lstat` data, names
    /// starting with "." skipped; nil when the directory cannot be opened.
    /// `fstatat` on the open directory spares a path walk per file.
    static func regularFiles(in directory: String) -> [(name: String, status: stat)]? {
        BlockingWork.assertMayBlock("MaildirFile.regularFiles")
        guard let handle = opendir(directory) else { return nil }
        defer { closedir(handle) }
        let descriptor = dirfd(handle)
        var found: [(name: String, status: stat)] = []
        while let entry = readdir(handle) {
            let isRegularOrUnknown = entry.pointee.d_type == UInt8(DT_REG) || entry.pointee.d_type == UInt8(DT_UNKNOWN)
            guard isRegularOrUnknown else { continue }
            var status = stat()
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { name -> String? in
                    guard name[0] != CChar(UInt8(ascii: ".")),
                        fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0,
                        (status.st_mode & S_IFMT) == S_IFREG
                    else { return nil }
                    return String(cString: name)
                }
            }
            if let name { found.append((name, status)) }
        }
        return found
    }

    /// The whole file, read into one array sized from `fstat`.
    static func contents(of path: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let count = try load(path, into: &bytes)
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// The file's header section, blank line included: read in 16 KiB steps
    /// until the first empty line (CRLF or bare LF), so fetching the headers
    /// of a message with a megabyte attachment reads a few KiB, not all of
    /// it. The whole file when it has no body.
    static func header(of path: String) throws -> [UInt8] {
        BlockingWork.assertMayBlock("MaildirFile.header")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DurableFiles.error(errno, "open \(path)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        var searched = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw DurableFiles.error(errno, "read \(path)")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            // An empty line: LF, optionally CR, LF; searched from just before the new bytes.
            var index = max(searched - 2, 0)
            while index < bytes.count {
                if bytes[index] == 0x0A {
                    let next = index + 1
                    if next < bytes.count, bytes[next] == 0x0A { return Array(bytes[...next]) }
                    if next + 1 < bytes.count, bytes[next] == 0x0D, bytes[next + 1] == 0x0A { return Array(bytes[...(next + 1)]) }
                }
                index += 1
            }
            searched = bytes.count
        }
    }

    /// Reads the whole file into the start of `scratch` and returns its
    /// length. `scratch` is grown to the size `fstat` gives and reused by the
    /// caller, so sending thousands of messages allocates once. Files in
    /// `new/` and `cur/` are complete and never change, so reading stops at
    /// that size, without one more `read` to see end-of-file (a file that is
    /// shorter than its size said, which should not happen, is read to its end).
    static func load(_ path: String, into scratch: inout [UInt8]) throws -> Int {
        BlockingWork.assertMayBlock("MaildirFile.load")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DurableFiles.error(errno, "open \(path)") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw DurableFiles.error(errno, "fstat \(path)") }
        let size = max(Int(status.st_size), 0)
        if scratch.count < size { scratch.append(contentsOf: repeatElement(0, count: size - scratch.count)) }
        var filled = 0
        while filled < size {
            let count = scratch.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return read(fd, base + filled, size - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw DurableFiles.error(errno, "read \(path)")
            }
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Like `load`, but only from the page cache: nil when any part of the
    /// file would have to come from the disk (the caller then reads it on
    /// the storage pool). Safe on an event loop, so a POP3 client fetching
    /// recently delivered mail is answered without a thread hop per message
    /// (the hop cost more CPU than the read: bench/pop3-retrieve). The file
    /// was listed at login, so opening it finds its inode in memory too.
    static func loadIfCached(_ path: String, into scratch: inout [UInt8]) -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        let size = max(Int(status.st_size), 0)
        if scratch.count < size { scratch.append(contentsOf: repeatElement(0, count: size - scratch.count)) }
        var filled = 0
        while filled < size {
            let count = scratch.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return sims_pread_nowait(fd, base + filled, UInt(size - filled), filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return nil  // EAGAIN: not (all) in the page cache; or not supported here
            }
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// The size IMAP reports (RFC822.SIZE) and Dovecot's `,W=` records: the
    /// octets with every bare LF made CR LF, and nothing added at the end
    /// (unlike POP3's `wireSize`, IMAP sends a last line without its line
    /// end as it is). It must equal the length of what FETCH BODY[] sends.
    static func imapSize(of bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { imapSize(of: $0) }
    }

    /// As above; line ends are found with `memchr`.
    static func imapSize(of bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), !bytes.isEmpty else { return 0 }
        let count = bytes.count
        var size = count
        var start = 0
        while start < count, let found = memchr(base + start, Int32(UInt8(ascii: "\n")), count - start) {
            let newline = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
            if newline == 0 || base[newline - 1] != UInt8(ascii: "\r") { size += 1 }
            start = newline + 1
        }
        return size
    }

    /// The size RFC 1939 reports: the octets with every line ending in CR LF,
    /// exactly as POP3MessageWire sends them. A bare LF gains a CR; a last
    /// line without LF gains CR LF (or only LF when it ends in a lone CR,
    /// which the sender takes as part of the line ending).
    static func wireSize(of bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { wireSize(of: $0) }
    }

    /// As above: IMAP's size, and the CR LF the sender adds to a last line.
    static func wireSize(of bytes: UnsafeRawBufferPointer) -> Int {
        guard let last = bytes.last else { return 0 }
        var size = imapSize(of: bytes)
        if last != UInt8(ascii: "\n") { size += last == UInt8(ascii: "\r") ? 1 : 2 }
        return size
    }
}
