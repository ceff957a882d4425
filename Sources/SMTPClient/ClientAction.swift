import MailCore

/// What the client session is waiting for, which decides the timeout in force.
public enum ClientStage: Sendable, Hashable {
    case greeting
    /// EHLO, HELO, STARTTLS, AUTH, RSET.
    case command
    /// The TLS handshake after "220" to STARTTLS.
    case tlsHandshake
    case mail
    case rcpt
    /// The reply to DATA (354 or a refusal).
    case dataInitiation
    /// Writing the message text.
    case dataBlock
    /// The reply to the final ".".
    case dataTermination
    case quit
}

/// What the driver must do after feeding the session an event.
public enum ClientAction: Sendable, Hashable {
    /// Nothing to write: more replies are expected first.
    case wait
    /// Write these bytes (one or more commands) and read the replies.
    case send([UInt8])
    /// Write the message text, already dot-stuffed and ending in CRLF.CRLF,
    /// allowing `Timeouts.dataBlock` for each block written; then call
    /// `messageWritten()`.
    case sendMessage([UInt8])
    /// Start the TLS handshake now, discarding any reply bytes already
    /// buffered, then call `tlsEstablished(_:)` or `tlsFailed(_:)`.
    case startTLS
    /// Close the connection: the attempt is over.
    case close(AttemptOutcome)
    /// The attempt is over and the connection is ready for another
    /// transaction (`SMTPClientSession.keepsConnectionOpen`): keep it open.
    case keepOpen(AttemptOutcome)
}

/// What a session negotiated on a connection (EHLO, STARTTLS), which the next
/// session on the same connection starts from.
public struct EstablishedConnection: Sendable, Hashable {
    /// "host:port".
    public var baseRemote: String
    /// "host:port" with the TLS note, as in outcomes.
    public var remote: String
    public var capabilities: ServerCapabilities
    public var usedEHLO: Bool
    public var tlsActive: Bool

    public init(baseRemote: String, remote: String, capabilities: ServerCapabilities, usedEHLO: Bool, tlsActive: Bool) {
        self.baseRemote = baseRemote
        self.remote = remote
        self.capabilities = capabilities
        self.usedEHLO = usedEHLO
        self.tlsActive = tlsActive
    }
}
