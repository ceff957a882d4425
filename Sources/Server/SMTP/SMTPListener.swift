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
    /// See `LineListenerSocket.Framing.ipv6Only`.
    let ipv6Only: Bool
    /// Filled once the socket is bound, for "listening on …" and tests.
    let boundPort = NIOLockedValueBox<Int?>(nil)

    init(
        address: ListenAddress, submission: Bool, implicitTLS: Bool = false, services: SMTPServices, limiter: ConnectionLimiter,
        group: any EventLoopGroup, ipv6Only: Bool = false
    ) {
        self.ipv6Only = ipv6Only
        self.address = address
        self.submission = submission
        self.implicitTLS = implicitTLS
        self.services = services
        self.limiter = limiter
        self.group = group
        logger = services.logs.logger(submission ? .submit : .smtp)
    }

    var moduleName: String { submission ? "SUBMIT" : "SMTP" }

    /// The socket and accept loop, shared with POP3.
    private let socket = LineListenerSocket()

    var serviceName: String { (submission ? "submission" : "SMTP") + (implicitTLS ? " (implicit TLS)" : "") }

    /// Opens the socket. MailServer binds every listener before it starts
    /// any service, so a port that is taken stops the server before it has
    /// done anything, with a `ListenError` that names this listener.
    func bind() async throws {
        if implicitTLS && services.tls.current == nil {
            logger.error("not listening on \(address): implicit TLS needs a certificate")
            return
        }
        let tls = services.tls
        var framing = LineListenerSocket.Framing(
            maximumLineLength: max(services.limits.commandLineLength, services.limits.textLineLength) - 2,
            timeouts: services.timeouts.smtpSettings, hostname: services.hostname)
        if implicitTLS { framing.implicitTLS = { tls.current } }
        framing.ipv6Only = ipv6Only
        let port: Int
        do { port = try await socket.bind(address, group: group, framing: framing, logger: logger) } catch {
            throw ListenError(service: serviceName, address: address, error: error)
        }
        boundPort.withLockedValue { $0 = port }
        logger.notice(
            "listening on \(ListenAddress(host: address.host, port: port)) (\(submission ? "submission" : "SMTP")\(implicitTLS ? ", implicit TLS" : ""))"
        )
    }

    func run() async throws {
        let logger = self.logger
        let address = self.address
        try await socket.run(onShutdown: { logger.notice("no longer accepting connections on \(address)") }) { accepted in
            await self.serve(accepted.channel, frame: accepted.frame, timeouts: accepted.timeouts)
        }
    }

    private func serve(
        _ connection: NIOAsyncChannel<ConnectionInbound, ByteBuffer>, frame: NIOLoopBound<LineFrameHandler>,
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
