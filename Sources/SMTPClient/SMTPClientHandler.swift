import Logging
import MailCore
import NIOCore
import NIOSSL
import NIOTLS

/// Drives a `ClientConnectionLifecycle` on a channel: bytes → replies →
/// lifecycle → actions (writes, timers, STARTTLS, the cache, close), and the
/// attempt's promise. Every decision is the lifecycle's; this class only
/// translates NIO events into its events and carries out what it returns.
///
/// Everything happens on the channel's event loop, so inserting the TLS
/// handler and discarding buffered plaintext after the "220" to STARTTLS
/// (RFC 3207 § 4.2) happen in the same turn as reading that reply.
final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var lifecycle: ClientConnectionLifecycle
    private var decoder = SMTPReplyDecoder()
    private let tls: TLSClientSetup?
    private let reuse: ReuseContext?
    private let logger: Logger
    /// The current attempt's promise; nil once completed. The lifecycle
    /// completes each attempt once; dropping the promise makes sure.
    private var promise: EventLoopPromise<AttemptResult>?
    private var timer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(
        session: SMTPClientSession, tls: TLSClientSetup?, logger: Logger, promise: EventLoopPromise<AttemptResult>,
        reuse: ReuseContext? = nil
    ) {
        lifecycle = ClientConnectionLifecycle(
            session: session, maximumReuse: reuse?.maximumReuse ?? 0, idleTimeout: reuse?.idleTimeout ?? .zero)
        self.tls = tls
        self.reuse = reuse
        self.logger = logger
        self.promise = promise
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Never leave the caller waiting, whatever removed the handler.
        perform(lifecycle.channelClosed(), context: context)
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        logger.debug("connected")
        perform(lifecycle.connected(), context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(lifecycle.channelClosed(), context: context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        decoder.feed(unwrapInboundIn(data))
        // After "220" to STARTTLS, `.startTLS` has emptied the decoder:
        // whatever else was read came in plaintext and is never
        // interpreted (RFC 3207 § 4.2), so the loop ends there.
        while true {
            let reply: SMTPReply?
            do {
                reply = try decoder.next()
            } catch {
                logger.warning("unreadable reply: \(error)")
                decoder.reset()
                perform(lifecycle.protocolError(error), context: context)
                return
            }
            guard let reply else { return }
            logger.debug("< \(reply)")
            perform(lifecycle.replyReceived(reply), context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event, let tls, lifecycle.awaitsTLSHandshake {
            handshakeCompleted(tls, context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        perform(lifecycle.connectionError("\(error)"), context: context)
    }

    /// Checks the certificate as the policy asks, and reports the handshake.
    private func handshakeCompleted(_ tls: TLSClientSetup, context: ChannelHandlerContext) {
        let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
        let version = TLSClientSetup.describe(handler?.tlsVersion)
        guard tls.verifies else {
            // Opportunistic TLS keeps passive listeners out, not an active
            // attacker; say so where an operator will see it.
            logger.info("TLS established: \(version), certificate not verified (opportunistic policy)")
            perform(lifecycle.tlsHandshakeSucceeded("\(version), certificate not verified"), context: context)
            return
        }
        if let name = tls.serverHostname {
            let named = handler?.peerCertificate.map { CertificateNameCheck.certificate($0, names: name) } ?? false
            guard named else {
                logger.warning("TLS certificate does not name \(name)")
                perform(lifecycle.tlsHandshakeFailed("the certificate does not name \(name)"), context: context)
                return
            }
        }
        let description = "\(version), certificate verified for \(tls.serverHostname ?? "the server's IP address")"
        logger.info("TLS established: \(description)")
        perform(lifecycle.tlsHandshakeSucceeded(description), context: context)
    }

    // MARK: - Reuse, called by SMTPClient on the channel's event loop

    /// Runs the next transaction on this idle connection, after the caller
    /// has taken it from the cache.
    func resume(_ next: SMTPClientSession, promise: EventLoopPromise<AttemptResult>) {
        if let context, !context.channel.isActive { perform(lifecycle.channelClosed(), context: context) }
        switch lifecycle.resume(next) {
        case .refused(let result):
            promise.succeed(result)
        case .resumed(let actions):
            guard let context else {
                // Unreachable: without a context the handler was removed and
                // the lifecycle closed. Still, nobody is left waiting.
                promise.succeed(ClientConnectionLifecycle.closedWhileCached(next))
                return
            }
            self.promise = promise
            decoder = SMTPReplyDecoder()
            perform(actions, context: context)
        }
    }

    /// QUITs the idle connection at the client's shutdown.
    func quitAndClose() {
        if let context { perform(lifecycle.shutDown(), context: context) }
    }

    // MARK: - Actions

    private func perform(_ actions: [ClientConnectionAction], context: ChannelHandlerContext) {
        for action in actions { perform(action, context: context) }
    }

    private func perform(_ action: ClientConnectionAction, context: ChannelHandlerContext) {
        switch action {
        case .write(let bytes, let carriesCredentials):
            logSent(bytes, carriesCredentials: carriesCredentials)
            write(bytes[...], context: context)
        case .writeMessageBlock(let block, let generation):
            write(block, context: context).assumeIsolated().whenComplete { [self] result in
                guard case .success = result else { return }
                perform(lifecycle.messageBlockWritten(generation: generation), context: context)
            }
        case .armTimer(let limit, let generation):
            timer?.cancel()
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limit)) { [self] in
                perform(lifecycle.timerFired(generation: generation), context: context)
            }
        case .cancelTimer:
            timer?.cancel()
            timer = nil
        case .armIdleTimer(let limit, let generation):
            idleTimer?.cancel()
            idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limit)) { [self] in
                perform(lifecycle.idleTimerFired(generation: generation), context: context)
            }
        case .cancelIdleTimer:
            idleTimer?.cancel()
            idleTimer = nil
        case .startTLS:
            startTLS(context: context)
        case .offerToCache(let established):
            let accepted =
                if let reuse, context.channel.isActive {
                    reuse.cache.checkIn(
                        IdleConnection(
                            id: reuse.id, channel: context.channel,
                            handler: NIOLoopBound(self, eventLoop: context.eventLoop), established: established),
                        key: reuse.key)
                } else {
                    false
                }
            perform(lifecycle.cacheOfferAnswered(accepted: accepted), context: context)
        case .withdrawFromCache:
            let removed = reuse.map { $0.cache.remove(id: $0.id, key: $0.key) } ?? false
            perform(lifecycle.withdrawalAnswered(removed: removed), context: context)
        case .leaveCache:
            if let reuse { _ = reuse.cache.remove(id: reuse.id, key: reuse.key) }
        case .close:
            if context.channel.isActive { context.close(promise: nil) }
        case .completeAttempt(let result):
            promise?.succeed(result)
            promise = nil
        case .log(.debug, let text):
            logger.debug("\(text)")
        case .log(.warning, let text):
            logger.warning("\(text)")
        }
    }

    @discardableResult
    private func write(_ bytes: ArraySlice<UInt8>, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return context.writeAndFlush(wrapOutboundOut(buffer))
    }

    /// The reply bytes buffered so far came before the handshake and are
    /// dropped; the TLS handler goes first in the pipeline.
    private func startTLS(context: ChannelHandlerContext) {
        decoder.reset()
        guard let tls else {
            // The session only asks for TLS when the policy allows it.
            perform(lifecycle.tlsHandshakeFailed("no TLS context"), context: context)
            return
        }
        do {
            try context.pipeline.syncOperations.addHandler(tls.makeHandler(), position: .first)
        } catch {
            perform(lifecycle.tlsHandshakeFailed("\(error)"), context: context)
        }
    }

    // MARK: - Logging

    private func logSent(_ bytes: [UInt8], carriesCredentials: Bool) {
        guard logger.logLevel <= .debug else { return }
        if carriesCredentials {
            logger.debug("> (AUTH exchange, credentials not logged)")
            return
        }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\r\n") { logger.debug("> \(line)") }
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
