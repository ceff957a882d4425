#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which log files an audit reads, and reading them line by line.
public enum LogFiles {
    /// `DIR/sims-YYYY-MM-DD.log` files in day order, then `DIR/sims.log`.
    /// A rotated file holds the lines of its own UTC day, so days before
    /// `since` are skipped without being opened.
    public static func inDirectory(_ directory: String, since: Int64?) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var days: [String] = []
        var hasCurrent = false
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "sims.log" {
                hasCurrent = true
            } else if name.hasPrefix("sims-"), name.hasSuffix(".log"), name.count == "sims-2026-11-29.log".count {
                days.append(String(name.dropFirst(5).dropLast(4)))
            }
        }
        let firstDay = since.map(LogTime.day)
        var files = days.sorted().filter { day in firstDay.map { day >= $0 } ?? true }.map { "\(directory)/sims-\($0).log" }
        if hasCurrent { files.append("\(directory)/sims.log") }
        return files
    }

    public struct ReadError: Error, CustomStringConvertible {
        public let path: String
        public let code: Int32
        public var description: String { "cannot read \(path): \(String(cString: strerror(code)))" }
    }

    /// Calls `body` with every line of the file (without its line end), in
    /// constant memory: a fixed buffer; a line longer than the buffer is cut.
    public static func forEachLine(in path: String, _ body: (LogBytes) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(path: path, code: errno) }
        defer { close(fd) }
        let capacity = 1 << 20
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0
        var skippingLongLine = false
        while true {
            let got = read(fd, buffer.baseAddress! + filled, capacity - filled)
            if got < 0 {
                if errno == EINTR { continue }
                throw ReadError(path: path, code: errno)
            }
            filled += got
            let view = UnsafeBufferPointer(start: buffer.baseAddress, count: filled)
            var start = 0
            while start < filled, let found = memchr(buffer.baseAddress! + start, 0x0A, filled - start) {
                let index = buffer.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                var end = index
                if end > start && view[end - 1] == 0x0D { end -= 1 }
                if !skippingLongLine { try body(view[start..<end]) }
                skippingLongLine = false
                start = index + 1
            }
            if got == 0 {
                if start < filled && !skippingLongLine { try body(view[start..<filled]) }
                return
            }
            if start == 0 && filled == capacity {
                // A line longer than the buffer: keep its first part, drop the rest.
                if !skippingLongLine { try body(view[0..<filled]) }
                skippingLongLine = true
                filled = 0
            } else if start > 0 {
                let remaining = filled - start
                if remaining > 0 {
                    (buffer.baseAddress! + 0).update(from: buffer.baseAddress! + start, count: remaining)
                }
                filled = remaining
            }
        }
    }
}
