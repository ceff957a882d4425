import MailCore
import NIOConcurrencyHelpers
import NIOCore
import SMTPProtocol

/// Coordinates a graceful shutdown with one connection's task.
///
/// An idle session is told 421 and closed at once. A session that is
/// receiving a message may finish it: its task closes the connection after
/// the reply to the final "." has been sent (or the grace period ends).
final class ConnectionControl: Sendable {
    private struct State {
        var busyWithMessage = false
        var shutdownRequested = false
    }

    let channel: any Channel
    private let reply: SMTPReply
    private let state = NIOLockedValueBox(State())

    init(channel: any Channel, hostname: String) {
        self.channel = channel
        reply = Replies.shuttingDown(hostname)
    }

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
        let channel = self.channel
        let text = reply.wireText
        channel.eventLoop.execute {
            guard channel.isActive else { return }
            var buffer = channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
