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
        let texts = ReaderAdmission.Texts(
            banned: "* BYE Too many authentication failures from your address\r\n",
            bannedDuringSession: "* BYE Too many authentication failures from your address\r\n",
            busy: "* BYE [UNAVAILABLE] Too many connections, try again later\r\n",
            evicted: "* BYE Server busy, closing idle connection\r\n")
        await ReaderAdmission.serve(
            connection, peer: peer, timeouts: accepted.timeouts, limiter: limiter, authGuard: authGuard, texts: texts,
            logger: logger
        ) {
            logger.info("connected to \(address)")
            await IMAPConnection(
                services: services, channel: connection, frame: accepted.frame, timeouts: accepted.timeouts, clientAddress: peer,
                implicitTLS: implicitTLS, logger: logger
            ).run()
        }
    }
}
