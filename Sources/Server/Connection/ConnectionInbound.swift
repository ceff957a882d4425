import SMTPProtocol

/// What the framing handler passes up to a connection's task, whatever the
/// protocol.
enum ConnectionInbound: Sendable {
    /// Every complete line from one read, so that pipelined commands are
    /// answered with one write (RFC 2920).
    case lines([InputLine])
    /// The STARTTLS (POP3: STLS) handshake finished; everything before this was plaintext
    /// and must be forgotten.
    case tlsEstablished(TLSInfo)
}
