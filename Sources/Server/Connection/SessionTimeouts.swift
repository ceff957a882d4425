import Configuration
import MailCore
import NIOCore
import Synchronization

/// The time limits of one connection, and what they are measured from.
///
/// Progress is a complete line, not a byte: a client that sends one byte
/// every few seconds ("slowloris") used to reset the read timer forever.
/// Now a command must arrive whole within `command`; in DATA each line
/// within `dataBlock`, and the text as a whole at `minimumDataRate` after a
/// short grace; and no session outlives `session`.
///
/// Shared by the connection's task (which says when the session reads
/// message text), its framing handler (which measures and enforces the
/// limits on the event loop) and the connection limiter (which, when every
/// slot is taken, closes the session idle the longest).
final class SessionTimeouts: Sendable {
    struct Settings: Sendable {
        /// RFC 5321 § 4.5.3.2.7: at least 5 minutes for a command.
        var command: Duration = .seconds(5 * 60)
        /// RFC 5321 § 4.5.3.2.5: 3 minutes for each block of message text.
        var dataBlock: Duration = .seconds(3 * 60)
        /// Message text must arrive at least this fast (bytes per second,
        /// after `dataRateGrace`); 0 turns the check off.
        var minimumDataRate = 1024
        var dataRateGrace: Duration = .seconds(30)
        /// The longest a connection may last, whatever it does.
        var session: Duration = .seconds(1 * 3600)
    }

    let settings: Settings
    let connected: NIODeadline
    private let lastLine: Atomic<UInt64>
    private let readingData = Atomic<Bool>(false)

    init(_ settings: Settings, now: NIODeadline = .now()) {
        self.settings = settings
        connected = now
        lastLine = Atomic(now.uptimeNanoseconds)
    }

    /// When the last complete line arrived (or the connection opened).
    var lastProgress: NIODeadline { .uptimeNanoseconds(lastLine.load(ordering: .relaxed)) }

    func lineCompleted(at now: NIODeadline) {
        lastLine.store(now.uptimeNanoseconds, ordering: .relaxed)
    }

    /// Set by the connection's task when the session starts or stops reading message text.
    var isReadingData: Bool {
        get { readingData.load(ordering: .relaxed) }
        set { readingData.store(newValue, ordering: .relaxed) }
    }

    /// How long the session may wait for its next line right now.
    var lineLimit: Duration { isReadingData ? settings.dataBlock : settings.command }
}

/// Why a connection's time ran out, for the log.
enum SessionTimeoutReason: Equatable {
    case noCommand(Duration)
    case noData(Duration)
    case dataTooSlow(bytes: Int, seconds: Int)
    case sessionTooLong(Duration)

    var logText: String {
        switch self {
        case .noCommand(let limit): return "no complete command for \(limit.exactText)"
        case .noData(let limit): return "no line of message text for \(limit.exactText)"
        case .dataTooSlow(let bytes, let seconds): return "message text too slow: \(bytes) bytes in \(seconds) s"
        case .sessionTooLong(let limit): return "session longer than \(limit.exactText)"
        }
    }
}

extension ServerConfiguration.Timeouts {
    var smtpSettings: SessionTimeouts.Settings {
        SessionTimeouts.Settings(
            command: command, dataBlock: dataBlock, minimumDataRate: minimumDataRate, dataRateGrace: dataRateGrace,
            session: maximumSession)
    }

    func pop3Settings(command: Duration) -> SessionTimeouts.Settings {
        SessionTimeouts.Settings(command: command, minimumDataRate: 0, session: maximumSession)
    }
}
