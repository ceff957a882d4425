import Foundation
import Logging
import MailCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
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
    private let connectionNumbers = NIOLockedValueBox(0)

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

    typealias Accepted = (NIOAsyncChannel<SMTPInbound, ByteBuffer>, NIOLoopBound<SMTPFrameHandler>)
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
                    let frame = SMTPFrameHandler(
                        maximumLineLength: 1000, timeout: ReadTimeout(services.timeout), hostname: services.hostname,
                        logger: logger,
                        timeoutText: "-ERR Timeout, closing connection\r\n")
                    try channel.pipeline.syncOperations.addHandler(frame)
                    let wrapped = try NIOAsyncChannel<SMTPInbound, ByteBuffer>(wrappingChannelSynchronously: channel)
                    return (wrapped, NIOLoopBound(frame, eventLoop: channel.eventLoop))
                }
            }
    }

    func run() async throws {
        // Not bound (implicit TLS without a certificate): nothing to serve.
        guard let server = socket.withLockedValue({ $0 }) else { return }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await (connection, frame) in connections {
                        group.addTask { await self.serve(connection, frame: frame) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<SMTPInbound, ByteBuffer>, frame: NIOLoopBound<SMTPFrameHandler>) async {
        let peer = connection.channel.remoteAddress?.ipAddress ?? "unknown"
        let number = connectionNumbers.withLockedValue {
            $0 += 1; return $0
        }
        var logger = self.logger
        logger[metadataKey: "conn"] = "POP3-\(number)"
        logger[metadataKey: "peer"] = "\(peer)"
        let refusal: String? =
            if authGuard.banned(peer) != nil {
                "-ERR [AUTH] Too many authentication failures from your address\r\n"
            } else if limiter.admit(peer) != .admitted { "-ERR [SYS/TEMP] Too many connections, try again later\r\n" } else {
                nil
            }
        if let refusal {
            logger.notice("refused connection: \(refusal.trimmingCharacters(in: .whitespacesAndNewlines))")
            await connection.refuse(with: refusal)
            return
        }
        defer { limiter.release(peer) }
        logger.info("connected to \(address)")
        await POP3Connection(
            services: services, channel: connection, frame: frame, clientAddress: peer, implicitTLS: implicitTLS, logger: logger
        ).run()
    }
}
