import Configuration
import IMAPProtocol
import Logging
import MailStore
import NIOCore
import Policy

extension MailServer {
    /// The `[imap]` listeners, sharing one folder-lock table and one
    /// change notifier (which local delivery also tells).
    static func makeIMAPListeners(
        configuration: ServerConfiguration, dataDirectory: DataDirectory, credentials: CredentialCheck, tls: ServerTLS,
        delivery: LocalDelivery, limiter: ConnectionLimiter, authGuard: AuthenticationGuard, group: any EventLoopGroup,
        logger: Logger
    ) -> [IMAPListener] {
        let options = configuration.imap
        var limits = IMAPCommandFramer.Limits()
        limits.maximumLineLength = options.maximumLineLength
        limits.maximumLiteralSize = UInt64(options.maximumLiteralSize)
        let services = IMAPServices(
            hostname: configuration.hostname, credentials: credentials, tls: tls, plaintextAllowed: options.allowPlaintext,
            timeouts: SessionTimeouts.Settings(command: options.timeout, minimumDataRate: 0, session: options.maximumSession),
            delivery: delivery, layout: delivery.writer, sync: configuration.storage.sync, folderLocks: delivery.folderLocks,
            notifier: delivery.notifier, limits: limits, maximumSessionsPerAccount: options.maximumSessionsPerAccount)
        let ipv6Only = configuration.ipv6OnlyListeners
        return options.listeners.map { ($0, false) }.map { address, implicit in
            IMAPListener(
                address: address, implicitTLS: implicit, services: services, limiter: limiter, authGuard: authGuard, group: group,
                logger: logger, ipv6Only: ipv6Only.contains(address))
        }
            + options.implicitTLSListeners.map { address in
                IMAPListener(
                    address: address, implicitTLS: true, services: services, limiter: limiter, authGuard: authGuard, group: group,
                    logger: logger, ipv6Only: ipv6Only.contains(address))
            }
    }
}
