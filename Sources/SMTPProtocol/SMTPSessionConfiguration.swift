/// What a session needs to know about the server and the listener it runs on.
public struct SMTPSessionConfiguration: Sendable {
    /// The name the server announces in the greeting, EHLO and Received.
    public var hostname: String
    /// RFC 5321 § 4.5.3.1.4: 512 octets including CR LF.
    public var commandLineLimit: Int = 512
    /// RFC 5321 § 4.5.3.1.6: 1000 octets including CR LF.
    public var textLineLimit: Int = 1000
    /// The SIZE limit advertised in EHLO and enforced after DATA.
    public var maximumMessageSize: Int = 26_214_400
    /// RCPT commands accepted per transaction; more get 452 (RFC 5321 § 4.5.3.1.10).
    public var maximumRecipients: Int = 100
    /// Message text held in memory before it goes to the driver's spill
    /// file (`.spill`); also the largest header section accepted.
    public var spillThreshold: Int = 1 << 20
    /// Received headers a message may carry before it is refused as a loop.
    public var maximumHops: Int = 50
    /// Failed commands before the session is closed with 421.
    public var maximumErrors: Int = 10
    /// Commands of any kind before the session is closed with 421.
    public var maximumCommands: Int = 10_000
    /// Whether STARTTLS can be offered (a certificate is configured).
    public var startTLSAvailable: Bool = false
    /// Submission listeners (RFC 6409) refuse MAIL until the client has authenticated.
    public var authenticationRequired: Bool = false
    /// Whether SMTP AUTH is offered at all (there is a directory to check against).
    public var authenticationAvailable: Bool = false
    /// RFC 8314 § 3.3 / RFC 4954 § 4: credentials travel only inside TLS,
    /// unless the operator explicitly allows plaintext on this listener.
    public var plaintextAuthenticationAllowed: Bool = false
    /// Ask the driver to check each HELO/EHLO name (`.checkHello`) before replying.
    public var checksHello: Bool = false
    /// Ask the driver to check each MAIL FROM (`.checkSender`) before replying.
    public var checksSender: Bool = false

    public init(hostname: String) {
        self.hostname = hostname
    }
}

/// The TLS parameters negotiated on a connection, for logs and Received.
public struct TLSInfo: Hashable, Sendable, CustomStringConvertible {
    public var version: String
    /// The cipher suite, when the TLS library reports it (swift-nio-ssl does not yet).
    public var cipher: String?

    public init(version: String, cipher: String? = nil) {
        self.version = version
        self.cipher = cipher
    }

    public var description: String { cipher.map { "\(version) with cipher \($0)" } ?? version }
}
