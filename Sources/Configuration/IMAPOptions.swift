/// `[imap]` in sims.toml.
public struct IMAPOptions: Sendable, Equatable {
    public var listeners = [ListenAddress(host: "127.0.0.1", port: 2143)]
    public var implicitTLSListeners = [ListenAddress(host: "127.0.0.1", port: 2993)]
    /// LOGIN and AUTHENTICATE without TLS (off: LOGINDISABLED until STARTTLS).
    public var allowPlaintext = false
    /// RFC 9051 § 5.4: an idle client is logged out after at least 30 minutes.
    public var timeout: Duration = .seconds(30 * 60)
    /// The longest a session may last (clients in IDLE stay for hours).
    public var maximumSession: Duration = .seconds(24 * 3600)
    /// Longest command line (RFC 9051 § 4: at least 8000 octets).
    public var maximumLineLength = 8192
    /// Largest literal, so the largest message APPEND takes.
    public var maximumLiteralSize = 64 << 20
    /// Sessions one account may have open at once.
    public var maximumSessionsPerAccount = 20

    public init() {}
}
