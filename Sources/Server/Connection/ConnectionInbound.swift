import NIOCore
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
    /// IMAP: the bytes of one read, unframed (see `LineFrameHandler.raw`).
    case bytes(ByteBuffer)
    /// IMAP: another session or a delivery changed the account's mail
    /// (`MailboxNotifier`).
    case mailboxChanged
}

/// Sent through a connection's pipeline by `MailboxNotifier`; the frame
/// handler turns it into `.mailboxChanged` in the connection's own stream,
/// so the session sees it between its commands, never in the middle of one.
struct MailboxChangedEvent: Sendable {}
