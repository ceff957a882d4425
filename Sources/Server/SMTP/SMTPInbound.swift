import SMTPProtocol

/// What the framing handler passes up to the connection's task.
enum SMTPInbound: Sendable {
    /// Every complete line from one read, so that pipelined commands are
    /// answered with one write (RFC 2920).
    case lines([InputLine])
    /// The STARTTLS handshake finished; everything before this was plaintext
    /// and must be forgotten.
    case tlsEstablished(TLSInfo)
}
