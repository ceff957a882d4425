import MailCore

/// Settings that are valid but risky, explained for `sims config check`.
public enum ConfigurationWarnings {
    public static func check(_ configuration: ServerConfiguration) -> [String] {
        var warnings: [String] = []
        let exposed = (configuration.smtpListeners + configuration.submissionListeners).filter(isExposed)
        let privateNetworks = configuration.clientNetworks.filter(\.overlapsPrivateOrLoopback)
        if !exposed.isEmpty, !privateNetworks.isEmpty {
            warnings.append(
                """
                relay.client_networks contains private or loopback addresses \
                (\(privateNetworks.map(\.text).joined(separator: ", "))) while \
                \(exposed.map(\.description).joined(separator: ", ")) accepts connections from outside. \
                Behind a router or load balancer that rewrites source addresses (NAT, a proxy, a \
                port forward with masquerading), every outside connection can appear to come from \
                a trusted private address, and the server becomes an open relay. Trust only the \
                networks that really reach this host directly, or use SMTP AUTH for your users.
                """)
        }
        if configuration.pop3AllowPlaintext {
            warnings.append(
                "pop3.allow_plaintext = true: POP3 passwords may cross the network unencrypted, where anyone on the path can read them. Use STLS or port 995 instead."
            )
        }
        if configuration.popBeforeSMTP {
            warnings.append(
                """
                relay.pop_before_smtp = true: for \(DurationText.format(configuration.popBeforeSMTPWindow)) after \
                a POP3 login, anyone connecting from the same IP address may relay. Every user behind a \
                shared NAT address (an office, a hotel, a mobile carrier) inherits that permission, and a \
                stolen POP3 password opens relay for whoever holds it. Prefer SMTP AUTH on the submission \
                port (587/465), which ties each message to an account; keep the window short if you must.
                """)
        }
        if let everyone = configuration.clientNetworks.first(where: \.coversEverything) {
            warnings.append("relay.client_networks contains \(everyone.text): everyone may relay. This is an open relay.")
        }
        return warnings
    }

    /// A listener on a wildcard or a non-private, non-loopback address.
    static func isExposed(_ listener: ListenAddress) -> Bool {
        if listener.host == "0.0.0.0" || listener.host == "::" { return true }
        guard let range = IPAddressRange(listener.host) else { return true }
        return !range.overlapsPrivateOrLoopback
    }
}
