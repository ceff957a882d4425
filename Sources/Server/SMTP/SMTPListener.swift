import Configuration
import Logging
import MailCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SMTPProtocol
import ServiceLifecycle

/// One listening socket (port 25-style SMTP, or submission) as a Service.
///
/// Each accepted connection runs in its own child task of a discarding task
/// group: a failing session is logged and forgotten, never taking the
/// listener down. On graceful shutdown the socket closes first, so no new
/// session starts, and the group waits for open sessions to wind down.
final class SMTPListener: Service {
    let address: ListenAddress
    let submission: Bool
    /// RFC 8314 implicit TLS (port 465): TLS from the first byte.
    let implicitTLS: Bool
    let services: SMTPServices
    let limiter: ConnectionLimiter
    let group: any EventLoopGroup
    let logger: Logger
    /// Filled once the socket is bound, for "listening on …" and tests.
    let boundPort = NIOLockedValueBox<Int?>(nil)

    init(
        address: ListenAddress, submission: Bool, implicitTLS: Bool = false, services: SMTPServices, limiter: ConnectionLimiter,
        group: any EventLoopGroup
    ) {
        self.address = address
        self.submission = submission
        self.implicitTLS = implicitTLS
        self.services = services
        self.limiter = limiter
        self.group = group
        logger = services.logs.logger(submission ? .submit : .smtp)
    }

    var moduleName: String { submission ? "SUBMIT" : "SMTP" }

    typealias Accepted = (NIOAsyncChannel<SMTPInbound, ByteBuffer>, NIOLoopBound<SMTPFrameHandler>, SessionTimeouts)
    /// The bound socket, from `bind()` until `run()` takes it over.
    private let socket = NIOLockedValueBox<NIOAsyncChannel<Accepted, Never>?>(nil)

    var serviceName: String { (submission ? "submission" : "SMTP") + (implicitTLS ? " (implicit TLS)" : "") }

    /// Opens the socket. MailServer binds every listener before it starts
    /// any service, so a port that is taken stops the server before it has
    /// done anything, with a `ListenError` that names this listener.
    func bind() async throws {
        if implicitTLS && services.tls.current == nil {
            logger.error("not listening on \(address): implicit TLS needs a certificate")
            return
        }
        let server: NIOAsyncChannel<Accepted, Never>
        do { server = try await openSocket() } catch { throw ListenError(service: serviceName, address: address, error: error) }
        socket.withLockedValue { $0 = server }
        let port = server.channel.localAddress?.port ?? address.port
        boundPort.withLockedValue { $0 = port }
        logger.notice(
            "listening on \(ListenAddress(host: address.host, port: port)) (\(submission ? "submission" : "SMTP")\(implicitTLS ? ", implicit TLS" : ""))"
        )
    }

    private func openSocket() async throws -> NIOAsyncChannel<Accepted, Never> {
        let services = self.services
        let logger = self.logger
        let implicitTLS = self.implicitTLS
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .bind(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let timeouts = SessionTimeouts(services.timeouts.smtpSettings)
                    let frame = SMTPFrameHandler(
                        maximumLineLength: max(services.limits.commandLineLength, services.limits.textLineLength) - 2,
                        timeouts: timeouts, hostname: services.hostname, logger: logger)
                    if implicitTLS, let context = services.tls.current {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                    try channel.pipeline.syncOperations.addHandler(frame)
                    let wrapped = try NIOAsyncChannel<SMTPInbound, ByteBuffer>(wrappingChannelSynchronously: channel)
                    return (wrapped, NIOLoopBound(frame, eventLoop: channel.eventLoop), timeouts)
                }
            }
    }

    func run() async throws {
        // Not bound (implicit TLS without a certificate): nothing to serve.
        guard let server = socket.withLockedValue({ $0 }) else { return }
        let logger = self.logger

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await (connection, frame, timeouts) in connections {
                        group.addTask { await self.serve(connection, frame: frame, timeouts: timeouts) }
                    }
                }
            }
        } onGracefulShutdown: {
            logger.notice("no longer accepting connections on \(self.address)")
            server.channel.close(promise: nil)
        }
    }

    private func serve(
        _ connection: NIOAsyncChannel<SMTPInbound, ByteBuffer>, frame: NIOLoopBound<SMTPFrameHandler>,
        timeouts: SessionTimeouts
    ) async {
        let peer = ClientAddress.normalized(connection.channel.remoteAddress)
        var logger = self.logger
        logger[metadataKey: "conn"] = "\(ConnectionNumbers.next(moduleName))"
        logger[metadataKey: "peer"] = "\(peer)"

        // Registered before the ban check, so a ban decided in between still ends it.
        let sessionID = ObjectIdentifier(connection.channel)
        let sessions = services.authGuard.openSessions
        sessions.open(sessionID, from: peer) { [channel = connection.channel, hostname = services.hostname, logger] in
            logger.notice("closing session: address banned after authentication failures")
            let text = SMTPReply(
                421, .init(4, 7, 0), "\(hostname) Too many authentication failures from your address, closing connection"
            ).wireText
            channel.closeSaying(text)
        }
        defer { sessions.close(sessionID, from: peer) }
        if let until = services.authGuard.banned(peer) {
            let remaining = (until - .now).roundedUpToWholeSeconds.shortText
            let reply = SMTPReply(
                421, .init(4, 7, 0),
                "\(services.hostname) Too many authentication failures from your address, try again in \(remaining)")
            logger.notice("refused connection: address banned for another \(remaining) after authentication failures")
            await connection.refuse(with: reply.wireText)
            return
        }
        let busyText = Replies.closingIdle(services.hostname).wireText
        let channel = connection.channel
        let ticket: UInt64
        switch limiter.admit(peer, timeouts: timeouts, close: { [logger] in
            logger.notice("closed: idle while every connection slot is taken, to make room for a new client")
            channel.closeSaying(busyText)
        }) {
        case .admitted(let admitted):
            ticket = admitted
        case let refusal:
            let reply =
                refusal == .tooManyInTotal
                ? Replies.tooManyConnections(services.hostname) : Replies.tooManyConnectionsFromYou(services.hostname)
            logger.warning("refused connection: \(reply)")
            await connection.refuse(with: reply.wireText)
            return
        }
        defer { limiter.release(ticket, address: peer) }
        logger.info("connected to \(address)")
        let session = SMTPConnection(
            services: services, channel: connection, frame: frame, timeouts: timeouts,
            clientAddress: peer, submission: submission, implicitTLS: implicitTLS, logger: logger)
        await session.run()
    }
}
