import MailCore
import NIOConcurrencyHelpers
import NIOCore
import SMTPProtocol

/// Coordinates a graceful shutdown with one connection's task.
///
/// An idle session is told goodbye (SMTP 421, POP3 -ERR) and closed at once.
/// A session that is busy (receiving a message, or POP3's UPDATE state) may
/// finish: its task closes the connection after the reply has been sent (or
/// the grace period ends).
final class ConnectionControl: Sendable {
    private struct State {
        var busyWithMessage = false
        var shutdownRequested = false
    }

    let channel: any Channel
    private let goodbye: String
    private let state = NIOLockedValueBox(State())

    convenience init(channel: any Channel, hostname: String) {
        self.init(channel: channel, goodbye: Replies.shuttingDown(hostname).wireText)
    }

    init(channel: any Channel, goodbye: String) {
        self.channel = channel
        self.goodbye = goodbye
    }

    var isShutdownRequested: Bool { state.withLockedValue { $0.shutdownRequested } }

    /// Called from the graceful-shutdown handler, on any thread.
    func requestShutdown() {
        let closeNow = state.withLockedValue { state in
            state.shutdownRequested = true
            return !state.busyWithMessage
        }
        if closeNow { sayGoodbyeAndClose() }
    }

    /// Records whether the session holds a message that is not yet answered.
    /// Returns true if a shutdown is waiting for the session to become idle.
    func setBusyWithMessage(_ busy: Bool) -> Bool {
        state.withLockedValue { state in
            state.busyWithMessage = busy
            return state.shutdownRequested && !busy
        }
    }

    func sayGoodbyeAndClose() {
        channel.closeSaying(goodbye)
    }
}
