import Logging
import MailCore
import NIOCore
import NIOSSL
import NIOTLS
import SMTPProtocol

/// Frames the byte stream into lines and watches the connection's timers.
///
/// It does three things the async session code cannot do well: it sees bytes
/// the moment they arrive (to catch clients that talk before the greeting),
/// it can drop buffered plaintext at the instant TLS starts (RFC 3207 § 4.2),
/// and it enforces the read timeout on the event loop.
final class SMTPFrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = SMTPInbound
    typealias OutboundOut = ByteBuffer

    private var framer: LineFramer
    private var buffer = ByteBuffer()
    private var greeted = false
    private var talkedEarly = false
    private let timeout: ReadTimeout
    private let timeoutText: String
    private let logger: Logger
    private var lastRead = NIODeadline.now()
    private var timer: Scheduled<Void>?

    /// - Parameter timeoutText: what to send when the read timeout expires
    ///   (POP3 reuses this handler with its own `-ERR` text).
    init(maximumLineLength: Int, timeout: ReadTimeout, hostname: String, logger: Logger, timeoutText: String? = nil) {
        framer = LineFramer(maximumLineLength: maximumLineLength)
        self.timeout = timeout
        self.timeoutText = timeoutText ?? Replies.timeout(hostname).wireText
        self.logger = logger
    }

    /// Kept to re-arm the timer when the session switches timeouts.
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { armTimer(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    /// Called on the event loop after `ReadTimeout.value` changed, so that a
    /// shorter timeout (DATA's) takes effect at once.
    func readTimeoutChanged() {
        guard let context, context.channel.isActive else { return }
        armTimer(context: context)
    }

    func channelActive(context: ChannelHandlerContext) {
        armTimer(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        lastRead = .now()
        guard greeted else {
            // RFC 5321 § 4.3.1 clients wait for the greeting; one that does
            // not is a spambot ("early talker"). Keep nothing it sent.
            talkedEarly = true
            return
        }
        buffer.writeBuffer(&bytes)
        var lines: [InputLine] = []
        while let line = framer.next(from: &buffer) { lines.append(line) }
        buffer.discardReadBytes()
        if !lines.isEmpty { context.fireChannelRead(wrapInboundOut(.lines(lines))) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            let version = (try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self))?.tlsVersion
            let info = TLSInfo(version: version.map(Self.describe) ?? "TLS")
            context.fireChannelRead(wrapInboundOut(.tlsEstablished(info)))
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Called on the event loop when the greeting is about to be sent.
    /// Returns false if the client already talked.
    func markGreeted() -> Bool {
        greeted = true
        return !talkedEarly
    }

    /// Called on the event loop right after the "220 Ready to start TLS" is
    /// written: bytes that came with or after STARTTLS in plaintext are dropped.
    func discardBufferedInput() {
        buffer.clear()
    }

    /// One timer per connection: when it fires early (there was input
    /// since it was set) it re-arms for the remainder instead of being
    /// rescheduled on every read.
    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        let deadline = lastRead + timeout.value
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            guard context.channel.isActive else { return }
            if NIODeadline.now() >= lastRead + timeout.value {
                logger.notice("timeout: no input for \(DurationText.format(timeout.value)), closing")
                var reply = context.channel.allocator.buffer(capacity: 64)
                reply.writeString(timeoutText)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                armTimer(context: context)
            }
        }
    }

    static func describe(_ version: TLSVersion) -> String {
        switch version {
        case .tlsv1: return "TLSv1"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        @unknown default: return "TLS"
        }
    }
}
