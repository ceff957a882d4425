import MailCore
import Policy

/// Settings that are valid but risky, explained for `sims config check`.
public enum ConfigurationWarnings {
    /// - Parameter gateways: this host's default gateways (`RouteTable.read()`),
    ///   named in the warnings when a client network covers or lists one.
    public static func check(_ configuration: ServerConfiguration, gateways: [IPAddress] = []) -> [String] {
        var warnings: [String] = []
        let listeners =
            configuration.smtpListeners + configuration.submissionListeners + configuration.submissionImplicitTLSListeners
        let exposed = listeners.filter(isExposed)
        let privateNetworks = configuration.clientNetworks.filter(\.overlapsPrivateOrLoopback)
        if !exposed.isEmpty, !privateNetworks.isEmpty {
            warnings.append(
                """
                relay.client_networks contains private or loopback addresses \
                (\(privateNetworks.map(\.text).joined(separator: ", "))) while \
                \(exposed.map(\.description).joined(separator: ", ")) accepts connections from outside \
                (a private address too, through a port forward). \
                Behind a router or load balancer that rewrites source addresses (NAT, a proxy, a \
                port forward with masquerading), every outside connection can appear to come from \
                a trusted private address, and the server becomes an open relay.\
                \(coveredGateways(configuration.clientNetworks, gateways)) Trust only the \
                networks that really reach this host directly, or use SMTP AUTH for your users.
                """)
        }
        for gateway in gateways where !exposed.isEmpty {
            guard
                let entry = RelayDecision.trustedEntry(
                    containing: gateway, in: configuration.clientNetworks, gateways: [gateway])
            else { continue }
            warnings.append(
                """
                relay.client_networks entry \(entry.text) names this host's default gateway \(gateway) alone, \
                so the gateway may relay. If a port forward to this server masquerades the source address \
                (docker-proxy, many routers and load balancers do), every outside client appears as \
                \(gateway) and may relay: an open relay. Keep the entry only if the gateway itself sends \
                mail and its port forwards keep the client's address; otherwise remove it.
                """)
        }
        if configuration.pop3AllowPlaintext {
            warnings.append(
                "pop3.allow_plaintext = true: POP3 passwords may cross the network unencrypted, where anyone on the path can read them. Use STLS or port 995 instead."
            )
        }
        if configuration.imap.allowPlaintext {
            warnings.append(
                "imap.allow_plaintext = true: IMAP passwords may cross the network unencrypted, where anyone on the path can read them. Use STARTTLS or port 993 instead."
            )
        }
        if configuration.popBeforeSMTP {
            warnings.append(
                """
                relay.pop_before_smtp = true: for \(configuration.popBeforeSMTPWindow.exactText) after \
                a POP3 login, anyone connecting from the same IP address may relay. Every user behind a \
                shared NAT address (an office, a hotel, a mobile carrier) inherits that permission, and a \
                stolen POP3 password opens relay for whoever holds it. Prefer SMTP AUTH on the submission \
                port (587/465), which ties each message to an account; keep the window short if you must.
                """)
        }
        if let everyone = configuration.clientNetworks.first(where: \.coversEverything) {
            warnings.append("relay.client_networks contains \(everyone.text): everyone may relay. This is an open relay.")
        }
        for range in configuration.clientNetworks where !range.coversEverything {
            if let warning = tooWide(range) { warnings.append(warning) }
        }
        if let acme = configuration.acme, let warning = acmeListenerWarning(acme.httpListen) { warnings.append(warning) }
        return warnings
    }

    /// Informational: a CA validates HTTP-01 on port 80 of the address the
    /// name resolves to; another port or a loopback address works only
    /// behind a port forward (or with a test CA).
    static func acmeListenerWarning(_ listen: ListenAddress) -> String? {
        guard listen.port != 80 || !isExposed(listen) else { return nil }
        return """
            tls.acme.http_listen is \(listen): certificate authorities check HTTP-01 on port 80 of the \
            address your domains resolve to, so validation succeeds only if port 80 is forwarded here.
            """
    }

    /// The widest public block a client network may be without a warning:
    /// an IPv4 /16, an IPv6 /48 (one site).
    static let widestPublicIPv4 = 16
    static let widestPublicIPv6 = 80

    /// A warning for an entry that trusts IPv4 clients through IPv6 syntax,
    /// or more public addresses than one organisation holds.
    static func tooWide(_ range: IPAddressRange) -> String? {
        let writtenAsIPv6 = !range.first.isIPv4 || !range.last.isIPv4
        if writtenAsIPv6, let mapped = ipv4Mapped, range.first <= mapped.last, mapped.first <= range.last {
            return """
                relay.client_networks contains \(range.text), an IPv6 range that also covers IPv4-mapped \
                addresses (::ffff:0:0/96): IPv4 clients of a dual-stack listener appear as such addresses, \
                so it trusts IPv4 clients too (for ::/80: every one of them, an open relay). Write IPv4 \
                networks in IPv4 form and keep IPv6 entries to your own prefix.
                """
        }
        if range.isInsidePrivateBlock { return nil }
        let bits = range.first.isIPv4 ? widestPublicIPv4 : widestPublicIPv6
        // The size of the range is last - first + 1; more than 2^bits
        // addresses when the difference needs more than `bits` bits.
        guard Self.bitLength(of: Self.difference(range.last.bytes, range.first.bytes)) > bits else { return nil }
        let limit = range.first.isIPv4 ? "/\(32 - widestPublicIPv4)" : "/\(128 - widestPublicIPv6)"
        return """
            relay.client_networks contains \(range.text), which covers public addresses wider than a \(limit): \
            everyone in it may relay through this server. Trust only the addresses your own clients use, \
            or use SMTP AUTH for your users.
            """
    }

    /// Every IPv4 address, which this module stores as IPv4-mapped IPv6.
    static let ipv4Mapped = IPAddressRange("0.0.0.0-255.255.255.255")

    /// `a - b` for 16-byte big-endian numbers with a >= b.
    static func difference(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: 16)
        var borrow = 0
        for index in stride(from: 15, through: 0, by: -1) {
            var value = Int(a[index]) - Int(b[index]) - borrow
            borrow = value < 0 ? 1 : 0
            if value < 0 { value += 256 }
            result[index] = UInt8(value)
        }
        return result
    }

    static func bitLength(of number: [UInt8]) -> Int {
        guard let index = number.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (16 - index) * 8 - number[index].leadingZeroBitCount
    }

    /// A listener outside clients can reach: any but a loopback one. A
    /// private address is reachable too, through a port forward to it.
    static func isExposed(_ listener: ListenAddress) -> Bool {
        guard let address = IPAddress(listener.host) else { return true }
        return !(loopback.contains { $0.contains(address) })
    }

    static let loopback = ["127.0.0.0/8", "::1"].compactMap(IPAddressRange.init)

    /// The sentence naming the gateways that a client network covers
    /// without naming them alone (the server refuses them), or "".
    static func coveredGateways(_ networks: [IPAddressRange], _ gateways: [IPAddress]) -> String {
        let covered = gateways.compactMap { gateway -> String? in
            guard RelayDecision.trustedEntry(containing: gateway, in: networks, gateways: [gateway]) == nil,
                let network = networks.first(where: { $0.contains(gateway) })
            else { return nil }
            return "\(gateway) (in \(network.text))"
        }
        guard !covered.isEmpty else { return "" }
        return " This host's default gateway \(covered.joined(separator: ", ")) is where such connections appear "
            + "to come from: SIMS refuses it relay and anti-spam trust unless an entry names it alone."
    }
}
