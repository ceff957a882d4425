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
    /// The session ran on a cached connection that turned out to be dead
    /// before anything of the message was committed: try a fresh one.
    var reusedConnectionFailed = false
}

/// Runs one `SMTPClientSession` on a channel: bytes → replies → session →
/// actions (writes, STARTTLS, close), and the timer for the current stage.
///
/// Everything happens on the channel's event loop, so inserting the TLS
/// handler and discarding buffered plaintext after the "220" to STARTTLS
/// (RFC 3207 § 4.2) happen in the same turn as reading that reply.
///
/// With a `ReuseContext`, a transaction that ends cleanly leaves the
/// connection open: the handler puts it into the cache and waits, idle, for
/// `resume(_:promise:)` with the next session, or for its idle timeout.
final class SMTPClientHandler: ChannelInboundHandler {
    private enum Mode {
        /// A session runs (or ran and the connection is closing with it).
        case active
        /// Between transactions, in the cache.
        case idle
        /// QUIT sent after idling; any reply (or a short wait) closes.
        case closing
    }

    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Message text is written in blocks of this size, each under the data-block timeout.
    static let blockSize = 64 * 1024

    private var session: SMTPClientSession
    private var decoder = SMTPReplyDecoder()
    private let timeouts: Timeouts
    private let tls: TLSClientSetup?
    private let logger: Logger
    private var promise: EventLoopPromise<AttemptResult>
    private var timer: Scheduled<Void>?
    private var finished = false
    private var tlsHandshakeFailed = false
    private let reuse: ReuseContext?
    private var mode = Mode.active
    /// Transactions completed on this connection.
    private var transactions = 0
    /// Bumped for each session, so that a late timer or write completion of
    /// an earlier one does nothing.
    private var generation = 0
    private var idleTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(
        session: SMTPClientSession, timeouts: Timeouts, tls: TLSClientSetup?, logger: Logger,
        promise: EventLoopPromise<AttemptResult>, reuse: ReuseContext? = nil
    ) {
        self.session = session
        self.timeouts = timeouts
        self.tls = tls
        self.logger = logger
        self.promise = promise
        self.reuse = reuse
        self.session.keepsConnectionOpen = (reuse?.maximumReuse ?? 0) > 1
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
        if mode == .idle {
            logger.debug("idle connection closed by the server")
            leaveCache()
        }
        mode = .closing
        idleTimer?.cancel()
        idleTimer = nil
        context.fireChannelInactive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Never leave the caller waiting, whatever removed the handler.
        if !finished { finish(session.connectionClosed(), context: context) }
        if mode == .idle { leaveCache() }
        mode = .closing
        idleTimer?.cancel()
        idleTimer = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else {
            switch mode {
            case .active:
                break
            case .idle:
                // Between transactions the server has nothing to say but
                // a 421 before it closes: the connection is done.
                logger.debug("the server spoke on an idle connection; closing it")
                leaveCache()
                mode = .closing
                context.close(promise: nil)
            case .closing:
                // The reply to QUIT.
                context.close(promise: nil)
            }
            return
        }
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
        guard !finished else {
            if mode != .active { context.close(promise: nil) }
            return
        }
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
        case .keepOpen(let outcome):
            keep(outcome, context: context)
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
        let generation = self.generation
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { [self] result in
            guard !finished, generation == self.generation, case .success = result else { return }
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
        promise.succeed(
            AttemptResult(
                outcome: outcome, tlsHandshakeFailed: tlsHandshakeFailed,
                reusedConnectionFailed: session.reusedConnectionFailed))
        if context.channel.isActive { context.close(promise: nil) }
    }

    // MARK: - Reuse

    /// The transaction is over and the session wants the connection kept:
    /// into the cache (idle, with a timer), or QUIT when the cache will not
    /// take it or the connection has carried its share of transactions.
    private func keep(_ outcome: AttemptOutcome, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        transactions += 1
        let result = AttemptResult(outcome: outcome, tlsHandshakeFailed: tlsHandshakeFailed)
        if let reuse, transactions < reuse.maximumReuse, context.channel.isActive,
            reuse.cache.checkIn(
                IdleConnection(
                    id: reuse.id, channel: context.channel, handler: NIOLoopBound(self, eventLoop: context.eventLoop),
                    established: session.established),
                key: reuse.key)
        {
            mode = .idle
            logger.debug("connection kept open for reuse after \(transactions) transaction(s)")
            armIdleTimer(reuse, context: context)
        } else {
            logger.debug("connection not kept after \(transactions) transaction(s); closing it")
            quitAndClose(context: context)
        }
        // After the cache has the connection: the caller's next send finds it.
        promise.succeed(result)
    }

    private func armIdleTimer(_ reuse: ReuseContext, context: ChannelHandlerContext) {
        idleTimer?.cancel()
        let generation = self.generation
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: reuse.idleTimeout) { [self] in
            guard mode == .idle, generation == self.generation else { return }
            // Whoever removes the entry owns the connection: a send that has
            // just taken it will call `resume` next.
            guard reuse.cache.remove(id: reuse.id, key: reuse.key) else { return }
            logger.debug("idle connection unused for \(Duration(reuse.idleTimeout).shortText); closing it")
            quitAndClose(context: context)
        }
    }

    private func leaveCache() {
        if let reuse { _ = reuse.cache.remove(id: reuse.id, key: reuse.key) }
    }

    /// Runs the next transaction on this idle connection. On the channel's
    /// event loop, after the caller has taken the connection from the cache.
    func resume(_ next: SMTPClientSession, promise: EventLoopPromise<AttemptResult>) {
        guard mode == .idle, let context, context.channel.isActive else {
            promise.succeed(
                AttemptResult(
                    outcome: .failed(
                        reason: "the cached connection to \(next.established.baseRemote) was closed", reply: nil,
                        isPermanent: false),
                    reusedConnectionFailed: true))
            return
        }
        idleTimer?.cancel()
        idleTimer = nil
        generation += 1
        mode = .active
        session = next
        session.keepsConnectionOpen = reuse.map { transactions + 1 < $0.maximumReuse } ?? false
        self.promise = promise
        decoder = SMTPReplyDecoder()
        finished = false
        tlsHandshakeFailed = false
        logger.debug("reusing the connection for transaction \(transactions + 1)")
        perform(session.resume(), context: context)
    }

    /// QUIT on a connection no session uses, then close on the reply or
    /// after a short wait (RFC 5321 § 4.1.1.10: the server closes after 221).
    func quitAndClose() {
        if let context { quitAndClose(context: context) }
    }

    private func quitAndClose(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        mode = .closing
        guard context.channel.isActive else { return }
        logSent(SMTPClientSession.command("QUIT"))
        var buffer = context.channel.allocator.buffer(capacity: 6)
        buffer.writeString("QUIT\r\n")
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: min(timeouts.command, .seconds(5))) {
            context.close(promise: nil)
        }
    }

    // MARK: - Timer

    /// One timer, re-armed for the current stage at every step.
    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        guard !finished, let stage = session.stage else { return }
        let limit = timeouts.limit(for: stage)
        let generation = self.generation
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: limit) { [self] in
            guard !finished, generation == self.generation else { return }
            let outcome = session.timedOut(after: Duration(limit).shortText)
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
