import Configuration
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// One accepted connection, framed into lines, with its time limits.
struct AcceptedConnection: Sendable {
    let channel: NIOAsyncChannel<ConnectionInbound, ByteBuffer>
    let frame: NIOLoopBound<LineFrameHandler>
    let timeouts: SessionTimeouts
}

/// The listening socket and accept loop every line protocol shares (SMTP,
/// submission, POP3; IMAP next): bind, frame each connection into lines
/// with its timers (and implicit TLS in front when asked), run each
/// connection in its own child task, and on graceful shutdown close the
/// socket first and let open sessions wind down.
///
/// A failing session is logged by its protocol and forgotten; it never takes
/// the listener down.
final class LineListenerSocket: Sendable {
    /// How a protocol's connections are framed.
    struct Framing: Sendable {
        var maximumLineLength: Int
        var timeouts: SessionTimeouts.Settings
        var hostname: String
        /// What the frame handler sends when a time limit is reached (nil: SMTP's 421).
        var timeoutText: String? = nil
        /// Implicit TLS (SMTPS 465, POP3S 995): the context, read for each
        /// connection so that a reloaded certificate is used at once.
        var implicitTLS: (@Sendable () -> NIOSSLContext?)? = nil
        /// An IPv6 socket takes IPv6 only (IPV6_V6ONLY). Set when an IPv4
        /// listener shares the port: NIO makes IPv6 sockets dual-stack, and
        /// a dual-stack `[::]:25` collides with `0.0.0.0:25` (EADDRINUSE),
        /// so the production pair could not both bind. Alone, `[::]:25`
        /// stays dual-stack and takes IPv4 too.
        var ipv6Only = false
        /// Pass bytes up unframed (IMAP; see `LineFrameHandler.raw`).
        var raw = false
    }

    private let socket = NIOLockedValueBox<NIOAsyncChannel<AcceptedConnection, Never>?>(nil)

    /// Binds the socket; returns the port (the one the system chose for port 0).
    func bind(_ address: ListenAddress, group: any EventLoopGroup, framing: Framing, logger: Logger) async throws -> Int {
        var bootstrap = ServerBootstrap(group: group)
        // Applied before bind(2); on an IPv4 socket the option does not exist.
        // IPV6_V6ONLY is an IPPROTO_IPV6 option: `.socketOption(.ipv6_v6only)`
        // alone would set it at SOL_SOCKET, which fails with EINVAL.
        if framing.ipv6Only {
            bootstrap = bootstrap.serverChannelOption(
                ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only), value: 1)
        }
        let server = try await bootstrap
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .bind(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicitTLS = framing.implicitTLS, let context = implicitTLS() {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                    let timeouts = SessionTimeouts(framing.timeouts)
                    let frame = LineFrameHandler(
                        maximumLineLength: framing.maximumLineLength, timeouts: timeouts, hostname: framing.hostname,
                        logger: logger, timeoutText: framing.timeoutText, raw: framing.raw)
                    try channel.pipeline.syncOperations.addHandler(frame)
                    let wrapped = try NIOAsyncChannel<ConnectionInbound, ByteBuffer>(wrappingChannelSynchronously: channel)
                    return AcceptedConnection(
                        channel: wrapped, frame: NIOLoopBound(frame, eventLoop: channel.eventLoop), timeouts: timeouts)
                }
            }
        socket.withLockedValue { $0 = server }
        return server.channel.localAddress?.port ?? address.port
    }

    /// Accepts until graceful shutdown, each connection in its own task.
    /// Returns at once when the socket was never bound.
    func run(onShutdown: @escaping @Sendable () -> Void = {}, serve: @escaping @Sendable (AcceptedConnection) async -> Void)
        async throws
    {
        guard let server = socket.withLockedValue({ $0 }) else { return }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            onShutdown()
            server.channel.close(promise: nil)
        }
    }
}
