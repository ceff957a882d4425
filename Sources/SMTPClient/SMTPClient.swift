import DNS
import Logging
import MailCore
import NIOCore
import NIOPosix
import NIOSSL

/// Delivers messages to SMTP servers, reusing connections.
///
/// Each `send` runs an `SMTPClientSession` on a connection. After a
/// transaction that got its reply to the final ".", the connection stays
/// open in a cache shared by all copies of this client (see
/// `SMTPClientConfiguration.maximumReuse`, `idleTimeout` and
/// `maximumIdleConnections`); the next `send` to the same server starts
/// there with RSET and MAIL. A cached connection that turns out to be dead
/// is replaced by a fresh one without the caller noticing. `shutdown()`
/// closes the idle ones.
public struct SMTPClient: Sendable {
    public let configuration: SMTPClientConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    /// Built once: creating a context reads certificates from disk.
    private let tlsContext: Result<NIOSSLContext, any Error>?
    private let cache: ConnectionCache

    public init(configuration: SMTPClientConfiguration, group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        tlsContext = TLSClientSetup.makeContext(
            for: configuration.tls, trustedCertificatesFile: configuration.trustedCertificatesFile)
        cache = ConnectionCache(maximumIdlePerKey: configuration.maximumIdleConnections)
    }

    /// A client on the process-wide NIO event-loop group.
    public init(configuration: SMTPClientConfiguration, logger: Logger = Logger(label: "SMTPClient")) {
        self.init(configuration: configuration, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    /// Makes one delivery attempt.
    /// - Parameters:
    ///   - message: the message as CRLF lines, not dot-stuffed.
    ///   - host: the server's IP address (the caller has resolved MX and A/AAAA).
    ///   - serverName: the server's host name, for TLS (SNI, and the
    ///     certificate check under `.required(serverName: nil)`).
    public func send(
        _ message: [UInt8], envelope: OutboundEnvelope, to host: String, port: Int, serverName: String? = nil
    ) async -> AttemptOutcome {
        let key = ConnectionKey(
            host: host, port: port, tls: configuration.tls, credentials: configuration.credentials, serverName: serverName)
        let reuses = configuration.maximumReuse > 1 && configuration.maximumIdleConnections > 0
        if reuses, let idle = cache.take(key) {
            let result = await resume(idle, message: message, envelope: envelope)
            // A dead cached connection says nothing about the message.
            guard result.reusedConnectionFailed else { return result.outcome }
            logger.info(
                "cached connection to \(Self.remoteText(host: host, port: port)) unusable (\(result.outcome.logText)); using a new one"
            )
        }
        let first = await attempt(
            message, envelope: envelope, host: host, port: port, serverName: serverName, tls: configuration.tls,
            reuse: reuses ? key : nil)
        // An opportunistic handshake that fails has broken this connection,
        // but not the server's willingness to take mail in plaintext: one
        // more try without STARTTLS, as opportunistic TLS prescribes
        // (RFC 7435 § 3: never fail worse than with no protection at all).
        guard first.tlsHandshakeFailed, case .opportunistic = configuration.tls else { return first.outcome }
        logger.notice("retrying \(host):\(port) without TLS after the failed handshake")
        return await attempt(
            message, envelope: envelope, host: host, port: port, serverName: serverName, tls: .disabled, reuse: nil
        ).outcome
    }

    /// QUITs and closes every idle cached connection, and keeps no more:
    /// a connection still in use is closed after its transaction. Returns
    /// when the idle ones are closed.
    public func shutdown() async {
        let idle = cache.shutDown()
        for connection in idle {
            connection.channel.eventLoop.execute { connection.handler.value.quitAndClose() }
        }
        for connection in idle {
            try? await connection.channel.closeFuture.get()
        }
    }

    /// The next transaction on a cached connection.
    private func resume(_ idle: IdleConnection, message: [UInt8], envelope: OutboundEnvelope) async -> AttemptResult {
        var logger = self.logger
        logger[metadataKey: "remote"] = "\(idle.established.baseRemote)"
        let session = SMTPClientSession(
            configuration: configuration, envelope: envelope, message: message, resuming: idle.established)
        let promise = idle.channel.eventLoop.makePromise(of: AttemptResult.self)
        idle.channel.eventLoop.execute { idle.handler.value.resume(session, promise: promise) }
        let result: AttemptResult
        do {
            result = try await promise.futureResult.get()
        } catch {
            result = AttemptResult(
                outcome: .failed(reason: SystemErrorText.describe(error), reply: nil, isPermanent: false),
                reusedConnectionFailed: true)
        }
        if !result.reusedConnectionFailed { logger.info("\(result.outcome.logText) (reused connection)") }
        return result
    }

    private func attempt(
        _ message: [UInt8], envelope: OutboundEnvelope, host: String, port: Int, serverName: String?, tls policy: TLSPolicy,
        reuse key: ConnectionKey?
    ) async -> AttemptResult {
        let remote = Self.remoteText(host: host, port: port)
        var logger = self.logger
        logger[metadataKey: "remote"] = "\(remote)"
        var configuration = self.configuration
        configuration.tls = policy

        var tls: TLSClientSetup?
        if policy != .disabled, let tlsContext {
            switch tlsContext {
            case .success(let context):
                tls = TLSClientSetup(
                    context: context, serverHostname: TLSClientSetup.hostname(for: policy, serverName: serverName),
                    verifies: policy != .opportunistic)
            case .failure(let error):
                logger.error("TLS context could not be created: \(error)")
                if case .required = policy {
                    return AttemptResult(
                        outcome: .failed(
                            reason: "TLS is required but no TLS context could be created: \(error)", reply: nil,
                            isPermanent: false))
                }
                configuration.tls = .disabled
            }
        }

        let session = SMTPClientSession(configuration: configuration, envelope: envelope, message: message, remote: remote)
        let loop = group.next()
        let promise = loop.makePromise(of: AttemptResult.self)
        let reuse = key.map {
            ReuseContext(
                cache: cache, key: $0, id: cache.makeID(), maximumReuse: configuration.maximumReuse,
                idleTimeout: configuration.idleTimeout)
        }
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.timeouts.connect))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [tls, logger] channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = SMTPClientHandler(
                        session: session, tls: tls, logger: logger, promise: promise, reuse: reuse)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        do {
            _ = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            let outcome = AttemptOutcome.failed(
                reason: "cannot connect to \(remote): \(SystemErrorText.describe(error))", reply: nil, isPermanent: false)
            logger.notice("\(outcome.logText)")
            // The handler may never have seen an active channel: settle the
            // promise (a second completion is ignored) and report the cause.
            promise.succeed(AttemptResult(outcome: outcome))
            return AttemptResult(outcome: outcome)
        }
        let result: AttemptResult
        do {
            result = try await promise.futureResult.get()
        } catch {
            result = AttemptResult(outcome: .failed(reason: SystemErrorText.describe(error), reply: nil, isPermanent: false))
        }
        logger.info("\(result.outcome.logText)")
        return result
    }

    /// "host:port", with brackets around an IPv6 address.
    static func remoteText(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
