/// What a POP3 session needs to know about the server it runs in.
public struct POP3SessionConfiguration: Sendable {
    /// The name used in the greeting and the sign-off.
    public var hostname: String
    /// A certificate is configured, so STLS (RFC 2595) can be offered.
    public var stlsAvailable: Bool = false
    /// USER/PASS and AUTH outside TLS. Off by default: RFC 2595 § 2.2 asks
    /// servers to let administrators refuse plaintext passwords.
    public var plaintextAuthenticationAllowed: Bool = false
    /// Failed logins in one session before it is closed.
    public var maximumAuthenticationFailures: Int = 3
    /// Other failed commands (unknown, malformed, out of sequence) before
    /// the session is closed.
    public var maximumErrors: Int = 20
    /// Advertised as LOGIN-DELAY (RFC 2449 § 6.5), in seconds; the driver
    /// enforces it.
    public var loginDelay: Int = 0

    public init(hostname: String) {
        self.hostname = hostname
    }
}
