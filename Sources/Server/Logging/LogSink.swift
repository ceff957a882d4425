import Foundation
import MailStore

/// Where log lines go: `DIR/sims.log` (renamed to `sims-YYYY-MM-DD.log` when
/// the UTC day changes) and, optionally, stderr.
///
/// With a directory (the server) a session only appends its line to a
/// queue in memory; one writer thread of the sink's own does the write(2)
/// calls, a batch of lines per call, so no event loop waits for the disk and
/// lines from concurrent sessions never interleave. The queue is bounded
/// (`LogWriter.capacity` bytes): when the disk falls that far behind, a
/// caller waits for room rather than dropping its line, because `sims audit`
/// must see every recipient's fate. Lines still queued when the process is
/// killed are lost (the writer is normally microseconds behind); `flush()`
/// waits for the queue at a clean stop. Without a directory (the
/// command-line tools) lines go to stderr at once, on the caller's thread.
public final class LogSink: Sendable {
    private let directory: String?
    private let toStderr: Bool
    private let writer: LogWriter?

    /// - Parameter directory: nil for stderr only (the command-line tools).
    public init(directory: String?, toStderr: Bool) {
        self.directory = directory
        self.toStderr = toStderr
        if let directory {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            writer = LogWriter(directory: directory, toStderr: toStderr)
        } else {
            writer = nil
        }
    }

    public var currentFile: String? { directory.map { "\($0)/sims.log" } }

    func write(_ line: String, day: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        guard let writer else {
            if toStderr { _ = bytes.withUnsafeBytes { Foundation.write(2, $0.baseAddress, $0.count) } }
            return
        }
        writer.enqueue(bytes, day: day)
    }

    /// Closes `sims.log` and opens it anew before the next line (SIGHUP),
    /// so that a log file renamed by logrotate is let go of.
    public func reopen() {
        writer?.reopen()
    }

    /// Waits until every line handed over so far is written (at most
    /// `timeout`): called once, when the server stops.
    public func flush(timeout: Duration = .seconds(2)) {
        writer?.flush(timeout: timeout)
    }

    deinit {
        writer?.stop()
    }
}

/// The sink's writer thread and its bounded queue of lines.
final class LogWriter: @unchecked Sendable {
    /// Bytes of queued lines beyond which callers wait (about 20,000 lines).
    static let capacity = 4 << 20

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var queued: [(bytes: [UInt8], day: String)] = []
    private var queuedBytes = 0
    private var writing = false
    private var stopping = false
    private var reopenRequested = false
    // The file; touched only by the writer thread.
    private var fd: Int32 = -1
    private var day = ""
    private let directory: String
    private let toStderr: Bool

    init(directory: String, toStderr: Bool) {
        self.directory = directory
        self.toStderr = toStderr
        let thread = Thread { [self] in run() }
        thread.name = "sims log writer"
        thread.start()
    }

    func enqueue(_ bytes: [UInt8], day: String) {
        condition.lock()
        defer { condition.unlock() }
        while queuedBytes >= Self.capacity && !stopping { condition.wait() }
        queued.append((bytes, day))
        queuedBytes += bytes.count
        condition.broadcast()
    }

    func flush(timeout: Duration) {
        let deadline = Date().addingTimeInterval(timeout.timeInterval)
        condition.lock()
        defer { condition.unlock() }
        while (!queued.isEmpty || writing) && condition.wait(until: deadline) {}
    }

    func reopen() {
        condition.lock()
        reopenRequested = true
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queued.isEmpty && !stopping { condition.wait() }
            let batch = queued
            queued = []
            queuedBytes = 0
            writing = true
            let done = stopping && batch.isEmpty
            let reopening = reopenRequested
            reopenRequested = false
            condition.broadcast()
            condition.unlock()
            if done { break }
            if reopening && fd >= 0 {
                close(fd)
                fd = -1  // the next write opens sims.log again
            }
            write(batch)
            condition.lock()
            writing = false
            condition.broadcast()
            condition.unlock()
        }
        if fd >= 0 { close(fd) }
    }

    /// One write(2) per run of lines of the same day.
    private func write(_ batch: [(bytes: [UInt8], day: String)]) {
        BlockingWork.assertMayBlock("LogWriter.write")
        var start = 0
        while start < batch.count {
            let lineDay = batch[start].day
            var end = start
            var bytes: [UInt8] = []
            while end < batch.count && batch[end].day == lineDay {
                bytes += batch[end].bytes
                end += 1
            }
            if toStderr { Self.writeAll(bytes, to: 2) }
            if day != lineDay || fd < 0 { rotate(day: lineDay) }
            if fd >= 0 { Self.writeAll(bytes, to: fd) }
            start = end
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fd, base + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }  // a full disk: the line is lost, the server goes on
                offset += written
            }
        }
    }

    private func rotate(day newDay: String) {
        let path = "\(directory)/sims.log"
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        // A file left from an earlier day (also across restarts) is renamed
        // after the day of its last change, so each day has its own file.
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date
        {
            let fileDay = LogTimestamp.day(of: modified)
            if fileDay != newDay {
                rename(path, "\(directory)/sims-\(fileDay).log")
            }
        }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        day = newDay
    }
}

/// ISO 8601 UTC timestamps with milliseconds, formatted by hand (hot path).
enum LogTimestamp {
    static func now() -> (stamp: String, day: String) {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let day = "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))"
        let millis = Int(time.tv_nsec / 1_000_000)
        let millisText = millis < 10 ? "00\(millis)" : (millis < 100 ? "0\(millis)" : "\(millis)")
        return ("\(day)T\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(millisText)Z", day)
    }

    static func day(of date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))"
    }

    private static func pad(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
