import Foundation
import NIOConcurrencyHelpers

/// Where log lines go: `DIR/sims.log` (renamed to `sims-YYYY-MM-DD.log` when
/// the UTC day changes) and, optionally, stderr. Thread-safe; one write(2)
/// per line so lines from concurrent sessions never interleave.
public final class LogSink: Sendable {
    private struct State {
        var fd: Int32 = -1
        var day = ""
    }

    private let directory: String?
    private let toStderr: Bool
    private let state = NIOLockedValueBox(State())

    /// - Parameter directory: nil for stderr only (the command-line tools).
    public init(directory: String?, toStderr: Bool) {
        self.directory = directory
        self.toStderr = toStderr
        if let directory {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
    }

    public var currentFile: String? { directory.map { "\($0)/sims.log" } }

    func write(_ line: String, day: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        if toStderr {
            _ = bytes.withUnsafeBytes { Foundation.write(2, $0.baseAddress, $0.count) }
        }
        guard let directory else { return }
        state.withLockedValue { state in
            if state.day != day || state.fd < 0 {
                rotate(&state, directory: directory, day: day)
            }
            if state.fd >= 0 {
                _ = bytes.withUnsafeBytes { Foundation.write(state.fd, $0.baseAddress, $0.count) }
            }
        }
    }

    private func rotate(_ state: inout State, directory: String, day: String) {
        let path = "\(directory)/sims.log"
        if state.fd >= 0 {
            close(state.fd)
            state.fd = -1
        }
        // A file left from an earlier day (also across restarts) is renamed
        // after the day of its last change, so each day has its own file.
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date
        {
            let fileDay = LogTimestamp.day(of: modified)
            if fileDay != day {
                rename(path, "\(directory)/sims-\(fileDay).log")
            }
        }
        state.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        state.day = day
    }

    deinit {
        state.withLockedValue { if $0.fd >= 0 { close($0.fd) } }
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
