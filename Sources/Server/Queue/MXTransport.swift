import Configuration
import DNS
import Foundation
import Logging
import MailCore
import Queue
import SMTPClient

/// What the transport sends with: the SMTP client, or a fake in tests.
protocol MessageSending: Sendable {
    func send(_ message: [UInt8], envelope: OutboundEnvelope, to host: String, port: Int, serverName: String?) async
        -> AttemptOutcome
    func shutdown() async
}

extension SMTPClient: MessageSending {}

/// Delivers queued mail the way RFC 5321 § 5 says: find the destination's
/// mail exchangers (or use a configured route or smarthost), try them in
/// order, and turn each recipient's reply into sent, deferred or failed.
struct MXTransport: MessageTransport {
    /// A host to try: its name (for TLS and logs), an address, a port.
    struct Target: Sendable, Equatable {
        var host: String
        var address: String
        var port: Int
        var isRelayHost = false
        /// The MX preference; nil for a configured route or the relay host.
        var preference: UInt16? = nil
    }

    let resolver: any DNSResolving
    let lookup: MailExchangerLookup
    let client: any MessageSending
    /// The client for the smarthost (`relay_host`), with its credentials.
    let relayClient: any MessageSending
    let port: Int
    let relayHost: String?
    let routes: [String: String]
    /// This server's name and listeners: delivering to them would be a loop.
    let ownHost: OwnHost
    let logger: Logger

    func deliver(_ message: [UInt8], reversePath: String, recipients: [String], domain: String) async -> [String: TransportResult]
    {
        // A recipient listed twice (a damaged or old envelope) is sent once
        // and answered once; nothing here may trap on it.
        var seen: Set<String> = []
        let recipients = recipients.filter { seen.insert($0).inserted }
        func all(_ result: TransportResult) -> [String: TransportResult] {
            Dictionary(recipients.map { ($0, result) }, uniquingKeysWith: { first, _ in first })
        }
        let found: [Target]
        switch await self.targets(for: domain) {
        case .success(let list): found = list
        case .failure(let result): return all(result)
        }
        let targets: [Target]
        switch Self.withoutOurselves(found, ourselves: ownHost.ourselves(found), domain: domain) {
        case .success(let usable): targets = usable
        case .failure(let result): return all(result)
        }
        var lastProblem = "no mail exchanger could be reached"
        var permanentRefusals = 0
        var lastRefusal: (reply: SMTPReply, host: String)?
        for target in targets {
            let outcome = await (target.isRelayHost ? relayClient : client).send(
                message, envelope: OutboundEnvelope(reversePath: reversePath, recipients: recipients),
                to: target.address, port: target.port, serverName: target.host)
            switch outcome {
            case .transaction(let replies, let remote):
                return Dictionary(
                    recipients.map { recipient in
                        (recipient, Self.result(for: replies[recipient], host: target.host, detail: remote))
                    }, uniquingKeysWith: { first, _ in first })
            case .failed(let reason, let reply, let isPermanent):
                let remote = "\(target.host)[\(target.address)]:\(target.port)"
                if isPermanent, let reply {
                    permanentRefusals += 1
                    lastRefusal = (reply, target.host)
                }
                lastProblem = "\(remote): \(reason)"
                logger.info("delivery to \(remote) for \(domain) failed, trying the next host: \(LogField.text(reason))")
            }
        }
        // RFC 5321 § 5.1: every address is tried before giving up. Only when
        // every host refused for good (5xx greeting or MAIL) is it permanent;
        // a host that was merely unreachable may still take the mail later.
        if permanentRefusals == targets.count, let refusal = lastRefusal {
            return all(
                .failed(status: refusal.reply.enhanced?.description ?? "5.0.0", reason: "\(refusal.reply)", remote: refusal.host))
        }
        return all(.deferred(reason: lastProblem, remote: nil))
    }

    /// QUITs the connections kept open for reuse.
    func shutdown() async {
        await client.shutdown()
        await relayClient.shutdown()
    }

    /// RFC 5321 § 5.1: "if the SMTP client finds itself among the MX hosts,
    /// it MUST discard all MX records with preference values equal to or
    /// greater than its own" — only more preferred exchangers remain; when
    /// none does, or a configured route or relay host is this server, the
    /// mail would loop: 5.4.6.
    static func withoutOurselves(_ targets: [Target], ourselves: [Bool], domain: String) -> Result<[Target], TargetFailure> {
        let own = zip(targets, ourselves).filter { $0.1 }.map { $0.0 }
        guard let first = own.first else { return .success(targets) }
        func loop() -> Result<[Target], TargetFailure> {
            .failure(
                .failed(
                    status: "5.4.6", reason: "mail for \(domain) loops back to myself (\(first.host) is this server)", remote: nil
                ))
        }
        guard own.allSatisfy({ $0.preference != nil }) else { return loop() }
        let ownPreference = own.compactMap(\.preference).min() ?? 0
        let better = targets.filter { ($0.preference ?? .max) < ownPreference }
        return better.isEmpty ? loop() : .success(better)
    }

    /// A recipient's reply as a queue result. Failures name the host by its
    /// name (the DSN's Remote-MTA, RFC 3464 § 2.3.5); the log of a success
    /// also gets the address, port and TLS detail.
    static func result(for reply: SMTPReply?, host: String, detail: String) -> TransportResult {
        guard let reply else { return .deferred(reason: "no reply for this recipient", remote: host) }
        if reply.isPositive { return .sent(remote: "\(host) \(detail)", reply: "\(reply)") }
        if reply.isTransientFailure { return .deferred(reason: "\(reply)", remote: host) }
        return .failed(status: reply.enhanced?.description ?? "5.0.0", reason: "\(reply)", remote: host)
    }

    /// Where mail for `domain` goes, in the order to try.
    func targets(for domain: String) async -> Result<[Target], TargetFailure> {
        if let route = routes[domain] {
            return await resolveRoute(route, isRelayHost: false)
        }
        if let relayHost {
            return await resolveRoute(relayHost, isRelayHost: true)
        }
        do {
            switch try await lookup.route(for: domain) {
            case .nullMX:
                // RFC 7505 § 4.1: a null MX means the domain accepts no mail.
                return .failure(.failed(status: "5.1.10", reason: "\(domain) accepts no mail (null MX)", remote: nil))
            case .noSuchDomain:
                return .failure(.failed(status: "5.1.2", reason: "domain \(domain) does not exist", remote: nil))
            case .exchangers(let exchangers):
                let targets = exchangers.flatMap { exchanger in
                    exchanger.addresses.map {
                        Target(host: exchanger.host, address: $0, port: port, preference: exchanger.preference)
                    }
                }
                if targets.isEmpty {
                    return .failure(.deferred(reason: "no address found for any mail exchanger of \(domain)", remote: nil))
                }
                return .success(targets)
            }
        } catch {
            if error.isTemporary { return .failure(.deferred(reason: "DNS: \(error)", remote: nil)) }
            return .failure(.failed(status: "5.1.2", reason: "DNS: \(error)", remote: nil))
        }
    }

    /// A configured `host:port` route; the host may be a name or an address.
    func resolveRoute(_ route: String, isRelayHost: Bool) async -> Result<[Target], TargetFailure> {
        guard let parsed = HostAndPort(route, defaultPort: port) else {
            return .failure(.deferred(reason: "route \(route) is not host:port", remote: nil))
        }
        if MailCore.IPAddress(parsed.host) != nil {
            return .success([Target(host: parsed.host, address: parsed.host, port: parsed.port, isRelayHost: isRelayHost)])
        }
        do {
            let addresses = try await resolver.a(parsed.host) + resolver.aaaa(parsed.host)
            guard !addresses.isEmpty else {
                return .failure(.deferred(reason: "route host \(parsed.host) has no address", remote: nil))
            }
            return .success(addresses.map { Target(host: parsed.host, address: $0, port: parsed.port, isRelayHost: isRelayHost) })
        } catch {
            return .failure(.deferred(reason: "DNS for route host \(parsed.host): \(error)", remote: nil))
        }
    }

}

typealias TargetFailure = TransportResult
extension TransportResult: Error {}

/// `host:port`, `[v6]:port` or a bare host with a default port.
struct HostAndPort: Equatable {
    var host: String
    var port: Int

    init?(_ text: String, defaultPort: Int) {
        if let address = ListenAddress(parsing: text) {
            (host, port) = (address.host, address.port)
            return
        }
        let parts = text.split(separator: ":")
        if parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port), !parts[0].isEmpty {
            (host, self.port) = (String(parts[0]), port)
        } else if parts.count == 1, !text.isEmpty {
            (host, port) = (text, defaultPort)
        } else {
            return nil
        }
    }
}
