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

    init(
        address: ListenAddress, implicitTLS: Bool, services: POP3Services, limiter: ConnectionLimiter,
        authGuard: AuthenticationGuard, group: any EventLoopGroup, logger: Logger
    ) {
        self.address = address
        self.implicitTLS = implicitTLS
        self.services = services
        self.limiter = limiter
        self.authGuard = authGuard
        self.group = group
        self.logger = logger
    }

    typealias Accepted = (NIOAsyncChannel<SMTPInbound, ByteBuffer>, NIOLoopBound<SMTPFrameHandler>, SessionTimeouts)
    /// The bound socket, from `bind()` until `run()` takes it over.
    private let socket = NIOLockedValueBox<NIOAsyncChannel<Accepted, Never>?>(nil)

    /// Opens the socket; see `SMTPListener.bind()`.
    func bind() async throws {
        if implicitTLS && services.tls.current == nil {
            logger.error("not listening on \(address): implicit TLS needs a certificate")
            return
        }
        let server: NIOAsyncChannel<Accepted, Never>
        do { server = try await openSocket() } catch {
            throw ListenError(service: implicitTLS ? "POP3 (implicit TLS)" : "POP3", address: address, error: error)
        }
        socket.withLockedValue { $0 = server }
        logger.notice("listening on \(address) (POP3\(implicitTLS ? ", implicit TLS" : ""))")
    }

    private func openSocket() async throws -> NIOAsyncChannel<Accepted, Never> {
        let services = self.services
        let logger = self.logger
        let implicitTLS = self.implicitTLS
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS, let context = services.tls.current {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                    // RFC 2449 § 4: POP3 command lines are at most 255 octets.
                    let timeouts = SessionTimeouts(services.timeouts)
                    let frame = SMTPFrameHandler(
                        maximumLineLength: 1000, timeouts: timeouts, hostname: services.hostname,
                        logger: logger,
                        timeoutText: "-ERR Timeout, closing connection\r\n")
                    try channel.pipeline.syncOperations.addHandler(frame)
                    let wrapped = try NIOAsyncChannel<SMTPInbound, ByteBuffer>(wrappingChannelSynchronously: channel)
                    return (wrapped, NIOLoopBound(frame, eventLoop: channel.eventLoop), timeouts)
                }
            }
    }

    func run() async throws {
        // Not bound (implicit TLS without a certificate): nothing to serve.
        guard let server = socket.withLockedValue({ $0 }) else { return }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await (connection, frame, timeouts) in connections {
                        group.addTask { await self.serve(connection, frame: frame, timeouts: timeouts) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(
        _ connection: NIOAsyncChannel<SMTPInbound, ByteBuffer>, frame: NIOLoopBound<SMTPFrameHandler>, timeouts: SessionTimeouts
    ) async {
        let peer = ClientAddress.normalized(connection.channel.remoteAddress)
        var logger = self.logger
        logger[metadataKey: "conn"] = "\(ConnectionNumbers.next("POP3"))"
        logger[metadataKey: "peer"] = "\(peer)"
        // Registered before the ban check, so a ban decided in between still ends it.
        let sessionID = ObjectIdentifier(connection.channel)
        authGuard.openSessions.open(sessionID, from: peer) { [channel = connection.channel, logger] in
            logger.notice("closing session: address banned after authentication failures")
            channel.closeSaying("-ERR [AUTH] Too many authentication failures from your address, closing connection\r\n")
        }
        defer { authGuard.openSessions.close(sessionID, from: peer) }
        let channel = connection.channel
        var refusal: String?
        var ticket: UInt64 = 0
        if authGuard.banned(peer) != nil {
            refusal = "-ERR [AUTH] Too many authentication failures from your address\r\n"
        } else {
            let admission = limiter.admit(peer, timeouts: timeouts) { [logger] in
                logger.notice("closed: idle while every connection slot is taken, to make room for a new client")
                channel.closeSaying("-ERR [SYS/TEMP] Server busy, closing idle connection\r\n")
            }
            if case .admitted(let admitted) = admission {
                ticket = admitted
            } else {
                refusal = "-ERR [SYS/TEMP] Too many connections, try again later\r\n"
            }
        }
        if let refusal {
            logger.notice("refused connection: \(refusal.trimmingCharacters(in: .whitespacesAndNewlines))")
            await connection.refuse(with: refusal)
            return
        }
        defer { limiter.release(ticket, address: peer) }
        logger.info("connected to \(address)")
        await POP3Connection(
            services: services, channel: connection, frame: frame, clientAddress: peer, implicitTLS: implicitTLS, logger: logger
        ).run()
    }
}
