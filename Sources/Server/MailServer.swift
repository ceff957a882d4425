import Configuration
import DKIM
import Foundation
import Logging
import MailCore
import MailStore
import NIOCore
import NIOPosix
import NIOSSL
import Policy
import Queue
import ServiceLifecycle
import UnixSignals

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
    /// `onListening` is called once every listener is bound (the banner a
    /// person reads belongs after that), with the local domains as loaded
    /// (for the banner's example); a listener that cannot bind is a
    /// `ListenError`, logged and thrown before any service starts.
    public func run(onListening: @Sendable (_ localDomains: Set<String>) -> Void = { _ in }) async throws {
        let system = logs.logger(.system)
        // The last lines ("SIMS stopped", a startup failure) reach the file
        // before the process exits (a wait on an event loop, at the end only).
        defer { logs.sink.flush() }
        logs.announceLevels()
        let threadPool = NIOThreadPool(numberOfThreads: configuration.storage.ioThreads)
        threadPool.start()

        let tls = ServerTLS(
            certificatePath: dataDirectory.resolve(configuration.tlsCertificate), keyPath: dataDirectory.resolve(configuration.tlsKey))
        // This function runs on an event loop too: startup's file and
        // SQLite work goes to the pool like everything else.
        let (directory, unusable) = try await threadPool.runIfActive { [dataDirectory, configuration] in
            try Self.placeACMEStandIn(configuration, dataDirectory)
            tls.reload(logger: system)
            let directory = try dataDirectory.openDirectory(configuration)
            try directory.refresh()
            return (directory, (try? directory.unusableEntries()) ?? [])
        }
        for entry in unusable {
            system.error(
                "\(entry) is unusable: its name breaks the rule for local parts (\(AccountLocalPart.rule)); no mail, login or sending for it. Remove it with 'sims account remove' or 'sims alias remove'."
            )
        }
        var delivery = LocalDelivery(
            writer: MaildirWriter(
                mailRoot: dataDirectory.resolve(configuration.storage.mailDirectory), hostname: configuration.hostname,
                sync: configuration.storage.sync),
            threadPool: threadPool)
        delivery.quota = QuotaLedger(limit: configuration.storage.quota > 0 ? configuration.storage.quota : nil)
        let queueIDs = QueueIDGenerator()
        let spoolRoot = dataDirectory.resolve(configuration.storage.queueDirectory)
        let spool = try await delivery.run { [configuration] in try Spool(root: spoolRoot, sync: configuration.storage.sync) }
        let bounces = ServerBounces(directory: directory, delivery: delivery, spool: spool, queueIDs: queueIDs)
        let runner = QueueRunner(
            spool: spool, blocking: delivery, transport: try makeTransport(logger: logs.logger(.delivery)), bounces: bounces,
            settings: queueSettings(), logger: logs.logger(.queue))
        bounces.runner.withLock { $0 = runner }
        try await delivery.run { try runner.recover() }
        let popBeforeSMTP =
            configuration.popBeforeSMTP
            ? PopBeforeSMTP(
                window: configuration.popBeforeSMTPWindow,
                credentialStamp: { directory.loadedCredentialStamp(of: $0) }) : nil
        // The default gateways are known before the first client connects:
        // a client network covering one must not trust it even for a moment.
        let gateways = GatewayAddresses()
        let gatewayWatch = GatewayWatch(gateways: gateways, storage: delivery, logger: system)
        await gatewayWatch.refresh(always: true)
        let clientNetworks = ClientNetworks(configuration.clientNetworks)
        let dkim = DKIMKeyring(store: DKIMKeyStore(dataDirectory: dataDirectory.root))
        _ = try await delivery.run { dkim.reload(logger: system) }
        let services = SMTPServices(
            hostname: configuration.hostname,
            limits: configuration.limits,
            timeouts: configuration.timeouts,
            directory: directory,
            delivery: delivery,
            queueIDs: queueIDs,
            tls: tls,
            logs: logs,
            clientNetworks: clientNetworks,
            gateways: gateways,
            hideSubmitterAddress: configuration.hideSubmitterAddress,
            authGuard: AuthenticationGuard(settings: configuration.authentication),
            popBeforeSMTP: popBeforeSMTP,
            policy: makePolicy(directory: directory, gateways: gateways, clientNetworks: clientNetworks),
            outbound: OutboundQueue(spool: spool, runner: runner),
            spillDirectory: "\(spool.root)/tmp",
            dkim: dkim)
        // One limiter across listeners: the per-address limit is about a
        // client, whichever port it uses.
        let limiter = ConnectionLimiter(
            maximumTotal: configuration.limits.connections, maximumPerAddress: configuration.limits.connectionsPerIP,
            idleEviction: configuration.timeouts.idleEviction)
        let group = MultiThreadedEventLoopGroup.singleton
        let ipv6Only = configuration.ipv6OnlyListeners
        var listeners: [SMTPListener] = []
        for address in configuration.smtpListeners {
            listeners.append(
                SMTPListener(
                    address: address, submission: false, services: services, limiter: limiter, group: group,
                    ipv6Only: ipv6Only.contains(address)))
        }
        for address in configuration.submissionListeners {
            listeners.append(
                SMTPListener(
                    address: address, submission: true, services: services, limiter: limiter, group: group,
                    ipv6Only: ipv6Only.contains(address)))
        }
        for address in configuration.submissionImplicitTLSListeners {
            listeners.append(
                SMTPListener(
                    address: address, submission: true, implicitTLS: true, services: services, limiter: limiter, group: group,
                    ipv6Only: ipv6Only.contains(address)))
        }
        let pop3 = POP3Services(
            hostname: configuration.hostname,
            reader: MaildirReader(mailRoot: dataDirectory.resolve(configuration.storage.mailDirectory), hostname: configuration.hostname),
            credentials: CredentialCheck(
                directory: directory, storage: delivery.threadPool, guardian: services.authGuard, verified: services.verifiedPasswords),
            locks: MailboxLocks(), tls: tls, plaintextAllowed: configuration.pop3AllowPlaintext, timeouts: configuration.timeouts.pop3Settings(command: configuration.pop3Timeout),
            delivery: delivery, popBeforeSMTP: popBeforeSMTP, gateways: gateways)
        var pop3Listeners: [POP3Listener] = []
        for (address, implicit) in configuration.pop3Listeners.map({ ($0, false) }) + configuration.pop3ImplicitTLSListeners.map({ ($0, true) }) {
            pop3Listeners.append(
                POP3Listener(
                    address: address, implicitTLS: implicit, services: pop3, limiter: limiter, authGuard: services.authGuard,
                    group: group, logger: logs.logger(.pop3), ipv6Only: ipv6Only.contains(address)))
        }
        let imapListeners = Self.makeIMAPListeners(
            configuration: configuration, dataDirectory: dataDirectory, credentials: pop3.credentials, tls: tls, delivery: delivery,
            limiter: limiter, authGuard: services.authGuard, group: group, logger: logs.logger(.imap))
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        // [tls.acme]: certificates by ACME, with its port-80 responder.
        let acme = makeACMEService(tls: tls, storage: delivery, logger: system)
        // The queue runner starts first and stops last, so that nothing the
        // listeners accept is left without a runner. The listeners are one
        // service, so that a shutdown reaches all of them at once (a group
        // stops its services one after another).
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                ServiceGroupConfiguration.ServiceConfiguration(service: runner),
                ServiceGroupConfiguration.ServiceConfiguration(service: TLSReloader(tls: tls, storage: delivery, logger: system)),
                ServiceGroupConfiguration.ServiceConfiguration(
                    service: HangupReloader(
                        signals: hangups, dataDirectory: dataDirectory, logs: logs, clientNetworks: clientNetworks, gateways: gateways, tls: tls,
                        storage: delivery,
                        extraReloads: [{ "DKIM keys reloaded (\(dkim.reload(logger: system)))" }]
                            + (acme.map { acme in [{ acme.checkAgain() }] } ?? []))),
                ServiceGroupConfiguration.ServiceConfiguration(service: gatewayWatch),
                ServiceGroupConfiguration.ServiceConfiguration(
                    service: DirectoryRefresher(directory: directory, storage: delivery, logger: system)),
                ServiceGroupConfiguration.ServiceConfiguration(
                    service: Listeners(
                        services: listeners.map { $0 as any Service } + pop3Listeners.map { $0 as any Service }
                            + imapListeners.map { $0 as any Service })),
            ] + (acme.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? []),
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: system)
        groupConfiguration.maximumGracefulShutdownDuration = configuration.timeouts.shutdownGrace
        system.notice("SIMS starting: hostname \(configuration.hostname), data \(dataDirectory.root)")
        do {
            for listener in listeners { try await listener.bind() }
            for listener in pop3Listeners { try await listener.bind() }
            for listener in imapListeners { try await listener.bind() }
            try await acme?.responder.bind(group: group)
        } catch {
            system.critical("\(error)")
            try? await threadPool.shutdownGracefully()
            throw error
        }
        // One line that says every socket is open (tests and scripts wait for
        // it: a listener's own line says nothing about the ones bound after
        // it); the "listening" lines come before the banner a person reads.
        system.notice("ready: every listener is bound")
        logs.sink.flush()
        onListening(directory.localDomainNames())
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch is CancellationError {
            // The grace period ended with sessions still receiving mail:
            // they were cut off (unacknowledged, so nothing is lost). A
            // requested stop, not a failure.
            system.warning("stopped after the \(configuration.timeouts.shutdownGrace.exactText) shutdown grace with sessions still open")
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        // Deliveries in flight finish before the pool stops.
        try await threadPool.shutdownGracefully()
        system.notice("SIMS stopped")
    }

    private func queueSettings() -> QueueSettings {
        var settings = QueueSettings(hostname: configuration.hostname)
        settings.schedule = RetrySchedule(
            delays: configuration.queue.retrySchedule.map(\.timeInterval),
            maximumLifetime: configuration.queue.maximumLifetime.timeInterval)
        settings.concurrency = configuration.queue.concurrency
        settings.concurrencyPerDomain = configuration.queue.concurrencyPerDomain
        return settings
    }

}
