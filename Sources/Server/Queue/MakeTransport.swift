import Configuration
import DNS
import Foundation
import Logging
import MailStore
import NIOCore
import NIOPosix
import Policy
import Queue
import SMTPClient

extension MailServer {
    /// The anti-spam checks, with their own resolver: same servers as
    /// delivery, but short timeouts, since a client waits for the answer.
    func makePolicy(directory: Directory, gateways: GatewayAddresses, clientNetworks: ClientNetworks) -> SMTPPolicy {
        let options = configuration.antispam
        let servers = configuration.delivery.dnsServers.isEmpty ? StubResolver.systemServers() : configuration.delivery.dnsServers
        let perQuery = max(options.dnsTimeout / 2, .milliseconds(50))
        let resolver = StubResolver(
            servers: servers, group: MultiThreadedEventLoopGroup.singleton, timeout: perQuery, attempts: 1,
            logger: logs.logger(.dns))
        let listeners =
            configuration.smtpListeners + configuration.submissionListeners + configuration.submissionImplicitTLSListeners
        return SMTPPolicy(
            options: options, hostname: configuration.hostname, clientNetworks: clientNetworks,
            resolver: resolver, localDomains: { directory.localDomainNames() },
            ourAddresses: listeners.map(\.host).filter { $0 != "0.0.0.0" && $0 != "::" }, gateways: gateways)
    }

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
        // Credentials go to the smarthost only, never to MX hosts or routes.
        var relayClient = client
        if let username = delivery.relayHostUsername, let file = delivery.relayHostPasswordFile {
            let path = dataDirectory.resolve(file)
            guard let password = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines),
                !password.isEmpty
            else {
                throw InvalidConfiguration(
                    file: dataDirectory.configurationFile,
                    problems: [
                        .init(key: "delivery.relay_host_password_file", line: nil, message: "cannot read a password from \(path)")
                    ])
            }
            relayClient.credentials = Credentials(username: username, password: password)
        }
        return MXTransport(
            resolver: resolver, lookup: MailExchangerLookup(resolver: resolver),
            client: SMTPClient(configuration: client, group: MultiThreadedEventLoopGroup.singleton, logger: logger),
            relayClient: SMTPClient(configuration: relayClient, group: MultiThreadedEventLoopGroup.singleton, logger: logger),
            port: delivery.port, relayHost: delivery.relayHost, routes: delivery.routes,
            ownHost: OwnHost(
                hostname: configuration.hostname,
                listeners: configuration.smtpListeners + configuration.submissionListeners
                    + configuration.submissionImplicitTLSListeners),
            logger: logger)
    }
}
