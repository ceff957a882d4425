import MailCore

extension ServerConfiguration {
    /// Every listener of every protocol (SMTP, submission, POP3, with and without TLS).
    public var allListeners: [ListenAddress] {
        smtpListeners + submissionListeners + submissionImplicitTLSListeners + pop3Listeners + pop3ImplicitTLSListeners
            + imap.listeners + imap.implicitTLSListeners
    }

    /// The IPv6 listeners that must take IPv6 only: those whose port an IPv4
    /// listener also uses. `"0.0.0.0:25"` with `"[::]:25"` (the production
    /// pair) then binds as two sockets, one per family, as Postfix and
    /// Dovecot do; `"[::]:25"` alone stays dual-stack and takes IPv4 too.
    public var ipv6OnlyListeners: Set<ListenAddress> {
        let all = allListeners
        let ipv4Ports = Set(all.filter { !Self.isIPv6Host($0.host) }.map(\.port))
        return Set(all.filter { Self.isIPv6Host($0.host) && ipv4Ports.contains($0.port) })
    }

    /// Hosts are written bare in ListenAddress (`::`, `::1`, `0.0.0.0`).
    static func isIPv6Host(_ host: String) -> Bool { host.contains(":") }
}
