import Foundation
import Logging
import MailCore
import MailStore
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The whole server, built from a data directory, as a group of services
/// that start together and stop in reverse order on SIGTERM or SIGINT.
public struct MailServer {
    public let configuration: ServerConfiguration
    public let dataDirectory: DataDirectory
    public let logs: LogFactory

    public init(dataDirectory: DataDirectory, configuration: ServerConfiguration) {
        self.dataDirectory = dataDirectory
        self.configuration = configuration
        let sink = LogSink(directory: dataDirectory.resolve(configuration.log.directory), toStderr: configuration.log.stderr)
        logs = LogFactory(sink: sink, defaultLevel: configuration.log.level, moduleLevels: configuration.log.modules)
    }

    /// Runs until a shutdown signal; returns once every session has ended.
    public func run() async throws {
        let system = logs.logger(.system)
        let threadPool = NIOThreadPool(numberOfThreads: configuration.storage.ioThreads)
        threadPool.start()

        let services = SMTPServices(
            hostname: configuration.hostname,
            limits: configuration.limits,
            timeouts: configuration.timeouts,
            directory: try dataDirectory.openDirectory(configuration),
            delivery: LocalDelivery(
                writer: MaildirWriter(
                    mailRoot: dataDirectory.resolve(configuration.storage.mailDirectory), hostname: configuration.hostname,
                    sync: configuration.storage.sync),
                threadPool: threadPool),
            queueIDs: QueueIDGenerator(),
            tls: try loadTLS(logger: system),
            logs: logs)
        // One limiter across listeners: the per-address limit is about a
        // client, whichever port it uses.
        let limiter = ConnectionLimiter(
            maximumTotal: configuration.limits.connections, maximumPerAddress: configuration.limits.connectionsPerIP)
        let group = MultiThreadedEventLoopGroup.singleton
        var listeners: [SMTPListener] = []
        for address in configuration.smtpListeners {
            listeners.append(
                SMTPListener(address: address, submission: false, services: services, limiter: limiter, group: group))
        }
        for address in configuration.submissionListeners {
            listeners.append(SMTPListener(address: address, submission: true, services: services, limiter: limiter, group: group))
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: listeners.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: system)
        groupConfiguration.maximumGracefulShutdownDuration = .nanoseconds(configuration.timeouts.shutdownGrace.nanoseconds)
        system.notice("SIMS starting: hostname \(configuration.hostname), data \(dataDirectory.root)")
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        // Deliveries in flight finish before the pool stops.
        try await threadPool.shutdownGracefully()
        system.notice("SIMS stopped")
    }

    /// The TLS context for STARTTLS, or nil (with a logged reason) when the
    /// certificate files are missing: the server then runs without STARTTLS
    /// rather than not at all.
    private func loadTLS(logger: Logger) throws -> NIOSSLContext? {
        let certificatePath = dataDirectory.resolve(configuration.tlsCertificate)
        let keyPath = dataDirectory.resolve(configuration.tlsKey)
        guard FileManager.default.fileExists(atPath: certificatePath), FileManager.default.fileExists(atPath: keyPath) else {
            logger.error("TLS disabled: certificate \(certificatePath) or key \(keyPath) missing")
            return nil
        }
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: tls)
    }
}
