import Configuration
import Foundation
import Logging
import MailCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Policy
import SMTPProtocol
import ServiceLifecycle

/// One POP3 listening socket (STLS, or implicit TLS for port 995) as a Service.
/// It shares the framing handler, connection limits and ban list with SMTP.
final class POP3Listener: Service {
    let address: ListenAddress
    let implicitTLS: Bool
    let services: POP3Services
    let limiter: ConnectionLimiter
    let authGuard: AuthenticationGuard
    let group: any EventLoopGroup
    let logger: Logger
    /// See `LineListenerSocket.Framing.ipv6Only`.
    let ipv6Only: Bool

    init(
        address: ListenAddress, implicitTLS: Bool, services: POP3Services, limiter: ConnectionLimiter,
        authGuard: AuthenticationGuard, group: any EventLoopGroup, logger: Logger,
        ipv6Only: Bool = false
    ) {
        self.ipv6Only = ipv6Only
        self.address = address
        self.implicitTLS = implicitTLS
        self.services = services
        self.limiter = limiter
        self.authGuard = authGuard
        self.group = group
        self.logger = logger
    }

    /// The socket and accept loop, shared with SMTP.
    private let socket = LineListenerSocket()

    /// Opens the socket; see `SMTPListener.bind()`.
    func bind() async throws {
        if implicitTLS && services.tls.current == nil {
            logger.error("not listening on \(address): implicit TLS needs a certificate")
            return
        }
        let tls = services.tls
        // RFC 2449 § 4: POP3 command lines are at most 255 octets; 1000 leaves room for SASL responses.
        var framing = LineListenerSocket.Framing(
            maximumLineLength: 1000, timeouts: services.timeouts, hostname: services.hostname,
            timeoutText: "-ERR Timeout, closing connection\r\n")
        if implicitTLS { framing.implicitTLS = { tls.current } }
        framing.ipv6Only = ipv6Only
        do { _ = try await socket.bind(address, group: group, framing: framing, logger: logger) } catch {
            throw ListenError(service: implicitTLS ? "POP3 (implicit TLS)" : "POP3", address: address, error: error)
        }
        logger.notice("listening on \(address) (POP3\(implicitTLS ? ", implicit TLS" : ""))")
    }

    func run() async throws {
        try await socket.run { accepted in
            await self.serve(accepted.channel, frame: accepted.frame, timeouts: accepted.timeouts)
        }
    }

    private func serve(
        _ connection: NIOAsyncChannel<ConnectionInbound, ByteBuffer>, frame: NIOLoopBound<LineFrameHandler>,
        timeouts: SessionTimeouts
    ) async {
        let peer = ClientAddress.normalized(connection.channel.remoteAddress)
        var logger = self.logger
        logger[metadataKey: "conn"] = "\(ConnectionNumbers.next("POP3"))"
        logger[metadataKey: "peer"] = "\(peer)"
        let texts = ReaderAdmission.Texts(
            banned: "-ERR [AUTH] Too many authentication failures from your address\r\n",
            bannedDuringSession: "-ERR [AUTH] Too many authentication failures from your address, closing connection\r\n",
            busy: "-ERR [SYS/TEMP] Too many connections, try again later\r\n",
            evicted: "-ERR [SYS/TEMP] Server busy, closing idle connection\r\n")
        await ReaderAdmission.serve(
            connection, peer: peer, timeouts: timeouts, limiter: limiter, authGuard: authGuard, texts: texts, logger: logger
        ) {
            logger.info("connected to \(address)")
            await POP3Connection(
                services: services, channel: connection, frame: frame, clientAddress: peer, implicitTLS: implicitTLS,
                logger: logger
            ).run()
        }
    }
}
