import Logging
import MailCore
import NIOCore
import NIOSSL
import NIOTLS
import SMTPProtocol

/// Frames the byte stream into lines and watches the connection's timers,
/// for every line protocol the server speaks (SMTP, POP3; IMAP next).
///
/// It does three things the async session code cannot do well: it sees bytes
/// the moment they arrive (to catch clients that talk before the greeting),
/// it can drop buffered plaintext at the instant TLS starts (RFC 3207 § 4.2),
/// and it enforces the time limits (`SessionTimeouts`) on the event loop.
final class LineFrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ConnectionInbound
    typealias OutboundOut = ByteBuffer

    private var framer: LineFramer
    /// IMAP: bytes are passed up as they come, for the protocol's own
    /// framer (literals are not lines); the driver marks progress per command.
    private let raw: Bool
    private var buffer = ByteBuffer()
    private var greeted = false
    private var talkedEarly = false
    private let timeouts: SessionTimeouts
    private let timeoutText: String
    private let logger: Logger
    private var timer: Scheduled<Void>?
    /// Since when the session reads message text, and how much came since.
    private var dataStarted: NIODeadline?
    private var dataBytes = 0

    /// - Parameter timeoutText: what to send when a time limit is reached
    ///   (POP3 reuses this handler with its own `-ERR` text).
    init(
        maximumLineLength: Int, timeouts: SessionTimeouts, hostname: String, logger: Logger, timeoutText: String? = nil,
        raw: Bool = false
    ) {
        framer = LineFramer(maximumLineLength: maximumLineLength)
        self.raw = raw
        self.timeouts = timeouts
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

    /// Called on the event loop after `SessionTimeouts.isReadingData`
    /// changed, so that DATA's limits take effect at once.
    func readingDataChanged() {
        if timeouts.isReadingData {
            if dataStarted == nil {
                dataStarted = .now()
                dataBytes = 0
            }
        } else {
            dataStarted = nil
        }
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
        guard greeted else {
            // RFC 5321 § 4.3.1 clients wait for the greeting; one that does
            // not is a spambot ("early talker"). Keep nothing it sent.
            talkedEarly = true
            return
        }
        if raw {
            context.fireChannelRead(wrapInboundOut(.bytes(bytes)))
            return
        }
        if dataStarted != nil { dataBytes += bytes.readableBytes }
        buffer.writeBuffer(&bytes)
        var lines: [InputLine] = []
        while let line = framer.next(from: &buffer) { lines.append(line) }
        buffer.discardReadBytes()
        if !lines.isEmpty {
            timeouts.lineCompleted(at: .now())
            context.fireChannelRead(wrapInboundOut(.lines(lines)))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            let version = (try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self))?.tlsVersion
            let info = TLSInfo(version: version.map(Self.describe) ?? "TLS")
            context.fireChannelRead(wrapInboundOut(.tlsEstablished(info)))
        } else if event is MailboxChangedEvent {
            context.fireChannelRead(wrapInboundOut(.mailboxChanged))
            // NIOAsyncChannel hands reads to the task at read-complete.
            context.fireChannelReadComplete()
            return
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

    /// One timer per connection, set for the earliest limit: when it fires
    /// and no limit is reached (a line came since), it re-arms for the next
    /// one instead of being rescheduled on every read.
    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: nextDeadline()) { [self] in
            guard context.channel.isActive else { return }
            guard let reason = expired(now: .now()) else {
                armTimer(context: context)
                return
            }
            logger.notice("timeout: \(reason.logText), closing")
            var reply = context.channel.allocator.buffer(capacity: 64)
            reply.writeString(timeoutText)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private func nextDeadline() -> NIODeadline {
        let settings = timeouts.settings
        var deadline = min(timeouts.lastProgress + TimeAmount(timeouts.lineLimit), timeouts.connected + TimeAmount(settings.session))
        if let rateDeadline { deadline = min(deadline, rateDeadline) }
        return deadline
    }

    /// When the message text falls below the minimum rate, if no more comes:
    /// the grace, plus one second per `minimumDataRate` bytes received.
    private var rateDeadline: NIODeadline? {
        let rate = timeouts.settings.minimumDataRate
        guard let dataStarted, rate > 0 else { return nil }
        return dataStarted + TimeAmount(timeouts.settings.dataRateGrace) + Self.rateAllowance(bytes: dataBytes, rate: rate)
    }

    /// The time `bytes` of message text earn at `rate` bytes per second.
    /// Whole seconds first: bytes × 10⁹ would overflow (and trap) after
    /// 9.2 GB, which a client can send within the session limit.
    static func rateAllowance(bytes: Int, rate: Int) -> TimeAmount {
        .seconds(Int64(bytes / rate)) + .nanoseconds(Int64(bytes % rate) * 1_000_000_000 / Int64(rate))
    }

    /// The limit reached at `now`, if any.
    private func expired(now: NIODeadline) -> SessionTimeoutReason? {
        let settings = timeouts.settings
        if now >= timeouts.connected + TimeAmount(settings.session) { return .sessionTooLong(settings.session) }
        if now >= timeouts.lastProgress + TimeAmount(timeouts.lineLimit) {
            return timeouts.isReadingData ? .noData(settings.dataBlock) : .noCommand(settings.command)
        }
        if let rateDeadline, let dataStarted, now >= rateDeadline {
            return .dataTooSlow(bytes: dataBytes, seconds: Int((now - dataStarted).nanoseconds / 1_000_000_000))
        }
        return nil
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
