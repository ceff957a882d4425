import DNS
import Logging
import NIOPosix
import Queue
import SMTPClient

extension MailServer {
    /// The transport the queue delivers with: DNS MX lookups (or configured
    /// routes and smarthost) and the outbound SMTP client.
    func makeTransport(logger: Logger) throws -> any MessageTransport {
        let delivery = configuration.delivery
        let servers = delivery.dnsServers.isEmpty ? StubResolver.systemServers() : delivery.dnsServers
        let resolver = StubResolver(servers: servers, group: MultiThreadedEventLoopGroup.singleton, logger: logs.logger(.dns))
        var client = SMTPClientConfiguration(heloName: configuration.hostname)
        switch delivery.tls {
        case "required": client.tls = .required(serverName: nil)
        case "none": client.tls = .disabled
        default: client.tls = .opportunistic
        }
        client.timeouts.connect = delivery.connectTimeout
        return MXTransport(
            resolver: resolver, lookup: MailExchangerLookup(resolver: resolver),
            client: SMTPClient(configuration: client, group: MultiThreadedEventLoopGroup.singleton, logger: logger),
            port: delivery.port, relayHost: delivery.relayHost, routes: delivery.routes, hostname: configuration.hostname,
            ownListeners: configuration.smtpListeners + configuration.submissionListeners, logger: logger)
    }
}
