import Logging
import MailCore
import NIOCore
import NIOSSL
import NIOTLS

/// The result the handler hands back to `SMTPClient`.
struct AttemptResult: Sendable {
    var outcome: AttemptOutcome
    /// The STARTTLS handshake failed (an opportunistic attempt may then be
    /// repeated in plaintext).
    var tlsHandshakeFailed = false
}

/// Runs one `SMTPClientSession` on a channel: bytes → replies → session →
/// actions (writes, STARTTLS, close), and the timer for the current stage.
///
/// Everything happens on the channel's event loop, so inserting the TLS
/// handler and discarding buffered plaintext after the "220" to STARTTLS
/// (RFC 3207 § 4.2) happen in the same turn as reading that reply.
final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Message text is written in blocks of this size, each under the data-block timeout.
    static let blockSize = 64 * 1024

    private var session: SMTPClientSession
    private var decoder = SMTPReplyDecoder()
    private let timeouts: Timeouts
    private let tls: TLSClientSetup?
    private let logger: Logger
    private let promise: EventLoopPromise<AttemptResult>
    private var timer: Scheduled<Void>?
    private var finished = false
    private var tlsHandshakeFailed = false

    init(
        session: SMTPClientSession, timeouts: Timeouts, tls: TLSClientSetup?, logger: Logger,
        promise: EventLoopPromise<AttemptResult>
    ) {
        self.session = session
        self.timeouts = timeouts
        self.tls = tls
        self.logger = logger
        self.promise = promise
    }

    // MARK: - Channel events

    func channelActive(context: ChannelHandlerContext) {
        logger.debug("connected")
        armTimer(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            let outcome = session.connectionClosed()
            finish(outcome, context: context)
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Never leave the caller waiting, whatever removed the handler.
        if !finished { finish(session.connectionClosed(), context: context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        decoder.feed(unwrapInboundIn(data))
        while !finished {
            let reply: SMTPReply?
            do {
                reply = try decoder.next()
            } catch {
                logger.warning("unreadable reply: \(error)")
                finish(session.protocolError(error), context: context)
                return
            }
            guard let reply else { return }
            logger.debug("< \(reply)")
            // After "220" to STARTTLS, `startTLS` has emptied the decoder:
            // whatever else was read came in plaintext and is never
            // interpreted (RFC 3207 § 4.2), so the loop ends here.
            perform(session.receive(reply), context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event, !finished, session.stage == .tlsHandshake, let tls {
            handshakeCompleted(tls, context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func handshakeCompleted(_ tls: TLSClientSetup, context: ChannelHandlerContext) {
        let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
        let version = TLSClientSetup.describe(handler?.tlsVersion)
        guard tls.verifies else {
            // Opportunistic TLS keeps passive listeners out, not an active
            // attacker; say so where an operator will see it.
            logger.info("TLS established: \(version), certificate not verified (opportunistic policy)")
            perform(session.tlsEstablished("\(version), certificate not verified"), context: context)
            return
        }
        if let name = tls.serverHostname {
            let named = handler?.peerCertificate.map { CertificateNameCheck.certificate($0, names: name) } ?? false
            guard named else {
                logger.warning("TLS certificate does not name \(name)")
                tlsHandshakeFailed = true
                perform(session.tlsFailed("the certificate does not name \(name)"), context: context)
                return
            }
        }
        let description = "\(version), certificate verified for \(tls.serverHostname ?? "the server's IP address")"
        logger.info("TLS established: \(description)")
        perform(session.tlsEstablished(description), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !finished else { return }
        if session.stage == .tlsHandshake {
            logger.warning("TLS handshake failed: \(error)")
            tlsHandshakeFailed = true
            perform(session.tlsFailed("\(error)"), context: context)
        } else {
            // The channel closes after this; channelInactive settles the outcome.
            logger.warning("connection error: \(error)")
            context.close(promise: nil)
        }
    }

    // MARK: - Actions

    private func perform(_ action: ClientAction, context: ChannelHandlerContext) {
        switch action {
        case .wait:
            armTimer(context: context)
        case .send(let bytes):
            logSent(bytes)
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            armTimer(context: context)
        case .sendMessage(let bytes):
            logger.debug("> (message text, \(bytes.count) octets)")
            writeMessage(bytes, from: 0, context: context)
        case .startTLS:
            startTLS(context: context)
        case .close(let outcome):
            finish(outcome, context: context)
        }
    }

    /// Writes the text one block at a time; RFC 5321 § 4.5.3.2.5 times each
    /// block rather than the whole message, so a slow link with a large
    /// message is not cut off while it is still moving.
    private func writeMessage(_ bytes: [UInt8], from offset: Int, context: ChannelHandlerContext) {
        let end = min(bytes.count, offset + Self.blockSize)
        var buffer = context.channel.allocator.buffer(capacity: end - offset)
        buffer.writeBytes(bytes[offset..<end])
        armTimer(context: context)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { [self] result in
            guard !finished, case .success = result else { return }
            if end < bytes.count {
                writeMessage(bytes, from: end, context: context)
            } else {
                session.messageWritten()
                armTimer(context: context)
            }
        }
    }

    private func startTLS(context: ChannelHandlerContext) {
        decoder.reset()
        guard let tls else {
            // The session only asks for TLS when the policy allows it.
            perform(session.tlsFailed("no TLS context"), context: context)
            return
        }
        do {
            try context.pipeline.syncOperations.addHandler(tls.makeHandler(), position: .first)
            armTimer(context: context)
        } catch {
            tlsHandshakeFailed = true
            perform(session.tlsFailed("\(error)"), context: context)
        }
    }

    private func finish(_ outcome: AttemptOutcome, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        promise.succeed(AttemptResult(outcome: outcome, tlsHandshakeFailed: tlsHandshakeFailed))
        if context.channel.isActive { context.close(promise: nil) }
    }

    // MARK: - Timer

    /// One timer, re-armed for the current stage at every step.
    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        guard !finished, let stage = session.stage else { return }
        let limit = timeouts.limit(for: stage)
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: limit) { [self] in
            guard !finished else { return }
            let outcome = session.timedOut(after: Self.format(limit))
            logger.warning("\(outcome.logText)")
            finish(outcome, context: context)
        }
    }

    // MARK: - Logging

    private func logSent(_ bytes: [UInt8]) {
        guard logger.logLevel <= .debug else { return }
        if session.isAuthenticating {
            logger.debug("> (AUTH exchange, credentials not logged)")
            return
        }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\r\n") { logger.debug("> \(line)") }
    }

    static func format(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        if milliseconds % 60_000 == 0 { return "\(milliseconds / 60_000) min" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(milliseconds) ms"
    }
}

extension AttemptOutcome {
    /// The outcome as one line for the log.
    public var logText: String {
        switch self {
        case .transaction(let replies, let remote):
            let parts = replies.sorted { $0.key < $1.key }.map { "<\($0.key)>: \($0.value)" }
            return "transaction with \(remote): " + parts.joined(separator: "; ")
        case .failed(let reason, _, let isPermanent):
            return (isPermanent ? "failed permanently: " : "failed temporarily: ") + reason
        }
    }
}
