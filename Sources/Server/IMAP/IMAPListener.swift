import Configuration
import Logging
import MailCore
import NIOCore
import Policy
import ServiceLifecycle

/// One IMAP listening socket (STARTTLS on 143, or implicit TLS on 993) as a
/// Service, on the accept loop, connection limits and ban list SMTP and
/// POP3 use. Bytes reach the session unframed: IMAP's literals are not
/// lines, and `IMAPCommandFramer` cuts the stream.
final class IMAPListener: Service {
    let address: ListenAddress
    let implicitTLS: Bool
    let services: IMAPServices
    let limiter: ConnectionLimiter
    let authGuard: AuthenticationGuard
    let group: any EventLoopGroup
    let logger: Logger
    let ipv6Only: Bool
    private let socket = LineListenerSocket()

    init(
        address: ListenAddress, implicitTLS: Bool, services: IMAPServices, limiter: ConnectionLimiter,
        authGuard: AuthenticationGuard, group: any EventLoopGroup, logger: Logger, ipv6Only: Bool = false
    ) {
        self.address = address
        self.implicitTLS = implicitTLS
        self.services = services
        self.limiter = limiter
        self.authGuard = authGuard
        self.group = group
        self.logger = logger
        self.ipv6Only = ipv6Only
    }

    /// Opens the socket; see `SMTPListener.bind()`.
    func bind() async throws {
        if implicitTLS && services.tls.current == nil {
            logger.error("not listening on \(address): implicit TLS needs a certificate")
            return
        }
        let tls = services.tls
        var framing = LineListenerSocket.Framing(
            maximumLineLength: services.limits.maximumLineLength, timeouts: services.timeouts, hostname: services.hostname,
            timeoutText: "* BYE Autologout; idle for too long\r\n")
        framing.raw = true
        if implicitTLS { framing.implicitTLS = { tls.current } }
        framing.ipv6Only = ipv6Only
        do { _ = try await socket.bind(address, group: group, framing: framing, logger: logger) } catch {
            throw ListenError(service: implicitTLS ? "IMAP (implicit TLS)" : "IMAP", address: address, error: error)
        }
        logger.notice("listening on \(address) (IMAP\(implicitTLS ? ", implicit TLS" : ""))")
    }

    func run() async throws {
        try await socket.run { accepted in
            await self.serve(accepted)
        }
    }

    private func serve(_ accepted: AcceptedConnection) async {
        let connection = accepted.channel
        let peer = ClientAddress.normalized(connection.channel.remoteAddress)
        var logger = self.logger
        logger[metadataKey: "conn"] = "\(ConnectionNumbers.next("IMAP"))"
        logger[metadataKey: "peer"] = "\(peer)"
        let sessionID = ObjectIdentifier(connection.channel)
        authGuard.openSessions.open(sessionID, from: peer) { [channel = connection.channel, logger] in
            logger.notice("closing session: address banned after authentication failures")
            channel.closeSaying("* BYE Too many authentication failures from your address\r\n")
        }
        defer { authGuard.openSessions.close(sessionID, from: peer) }
        let channel = connection.channel
        var refusal: String?
        var ticket: UInt64 = 0
        if authGuard.banned(peer) != nil {
            refusal = "* BYE Too many authentication failures from your address\r\n"
        } else {
            let admission = limiter.admit(peer, timeouts: accepted.timeouts) { [logger] in
                logger.notice("closed: idle while every connection slot is taken, to make room for a new client")
                channel.closeSaying("* BYE Server busy, closing idle connection\r\n")
            }
            if case .admitted(let admitted) = admission {
                ticket = admitted
            } else {
                refusal = "* BYE [UNAVAILABLE] Too many connections, try again later\r\n"
            }
        }
        if let refusal {
            logger.notice("refused connection: \(refusal.trimmingCharacters(in: .whitespacesAndNewlines))")
            await connection.refuse(with: refusal)
            return
        }
        defer { limiter.release(ticket, address: peer) }
        logger.info("connected to \(address)")
        await IMAPConnection(
            services: services, channel: connection, frame: accepted.frame, timeouts: accepted.timeouts, clientAddress: peer,
            implicitTLS: implicitTLS, logger: logger
        ).run()
    }
}
