/// Whether and how the client protects a connection with STARTTLS (RFC 3207).
public enum TLSPolicy: Sendable, Hashable {
    /// Never send STARTTLS.
    case disabled
    /// Use STARTTLS when the server offers it, without checking the
    /// certificate (RFC 7435 opportunistic security: encryption against
    /// passive listeners, no claim about who is at the other end). The
    /// missing verification is logged. Without STARTTLS, send in plaintext.
    case opportunistic
    /// Refuse to send unless STARTTLS succeeds with a certificate that chains
    /// to a trusted root and names `serverName`. With `serverName` nil the
    /// name given to `SMTPClient.send` is checked, and without that the
    /// server's IP address.
    case required(serverName: String?)
}

/// How long the client waits at each stage of a session.
///
/// The defaults are the minimums of RFC 5321 § 4.5.3.2: "an SMTP client
/// MUST provide a timeout mechanism", and its values "SHOULD be" at least
/// these, because a busy server can be slow to answer (above all to the
/// final "."). Tests shorten them.
public struct Timeouts: Sendable, Hashable {
    /// Establishing the TCP connection (not in RFC 5321).
    public var connect: Duration = .seconds(30)
    /// § 4.5.3.2.1 Initial 220 Message: 5 minutes.
    public var greeting: Duration = .seconds(5 * 60)
    /// EHLO, HELO, STARTTLS and its handshake, AUTH, RSET, QUIT (§ 4.5.3.2
    /// sets no value for these; the 5 minutes of MAIL are used).
    public var command: Duration = .seconds(5 * 60)
    /// § 4.5.3.2.2 MAIL Command: 5 minutes.
    public var mail: Duration = .seconds(5 * 60)
    /// § 4.5.3.2.3 RCPT Command: 5 minutes.
    public var rcpt: Duration = .seconds(5 * 60)
    /// § 4.5.3.2.4 DATA Initiation (waiting for 354): 2 minutes.
    public var dataInitiation: Duration = .seconds(2 * 60)
    /// § 4.5.3.2.5 Data Block: 3 minutes for each block of message text to be written.
    public var dataBlock: Duration = .seconds(3 * 60)
    /// § 4.5.3.2.6 DATA Termination (waiting for the reply to "."): 10 minutes.
    public var dataTermination: Duration = .seconds(10 * 60)

    public init() {}

    /// The time allowed for a reply at `stage`.
    public func limit(for stage: ClientStage) -> Duration {
        switch stage {
        case .greeting: return greeting
        case .command, .tlsHandshake, .quit: return command
        case .mail: return mail
        case .rcpt: return rcpt
        case .dataInitiation: return dataInitiation
        case .dataBlock: return dataBlock
        case .dataTermination: return dataTermination
        }
    }
}

/// A user name and password for SMTP AUTH (RFC 4954) at a smarthost.
public struct Credentials: Sendable, Hashable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// Everything the client needs to know that does not change per message.
public struct SMTPClientConfiguration: Sendable {
    /// The name sent with EHLO/HELO: the fully qualified name of this host (RFC 5321 § 4.1.1.1).
    public var heloName: String
    public var tls: TLSPolicy = .opportunistic
    /// When set, the client authenticates (AUTH PLAIN, else LOGIN) and fails
    /// the attempt when it cannot.
    public var credentials: Credentials?
    public var timeouts = Timeouts()
    /// Whether credentials may be sent over a connection without TLS. PLAIN
    /// and LOGIN send the password in the clear (RFC 4954 § 4: a mechanism
    /// that does so SHOULD be used only under TLS).
    public var allowPlaintextAuth: Bool = false
    /// A PEM file of CA certificates that `.required` trusts instead of the
    /// system's roots (nil: the system's). For a private smarthost, and tests.
    public var trustedCertificatesFile: String?

    /// Connection reuse (RFC 5321 § 3.3: a session may carry several
    /// transactions). After a transaction that got its reply to the final
    /// ".", the connection is kept open for the next message to the same
    /// server (same address, port, TLS policy, credentials and server name)
    /// instead of QUIT. At most this many transactions run on one
    /// connection; 1 (or less) turns reuse off.
    public var maximumReuse: Int = 100
    /// How long a connection may sit unused before it is QUIT and closed.
    public var idleTimeout: Duration = .seconds(5)
    /// At most this many unused connections are kept per destination; one
    /// more is QUIT and closed.
    public var maximumIdleConnections: Int = 20

    public init(heloName: String) {
        self.heloName = heloName
    }
}
