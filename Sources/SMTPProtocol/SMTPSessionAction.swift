import MailCore
import NIOCore

/// What the connection driver must do after feeding the session an event.
public enum SMTPSessionAction: Sendable {
    /// Nothing to send (a line of message text was absorbed).
    case none
    case reply(SMTPReply)
    /// Send the reply, then close the connection.
    case replyAndClose(SMTPReply)
    /// Send the reply unencrypted, start the TLS handshake, and discard every
    /// byte that arrived before it (RFC 3207 § 4.2). Then call `tlsEstablished`.
    case startTLS(SMTPReply)
    /// Check these credentials (RFC 4954), then call `authenticationFinished(_:)`.
    /// The password must never be logged.
    case authenticate(username: String, password: String)
    /// Decide about this recipient (directory lookup and relay policy), then
    /// call `recipientChecked(_:)`.
    case checkRecipient(EnvelopePath, transaction: MailTransaction)
    /// Run the HELO/EHLO checks on this name (policy), then call
    /// `helloChecked(_:)`. Only when `configuration.checksHello` is on.
    case checkHello(String)
    /// Run the sender checks (blocklists, return path, SPF, rate limits)
    /// on this transaction's reverse path, then call `senderChecked(_:)`.
    /// Only when `configuration.checksSender` is on.
    case checkSender(MailTransaction)
    /// Append this message text to the transaction's spill file, in order;
    /// nothing is sent. Comes only while reading DATA, once the message is
    /// larger than `spillThreshold`; the first chunk holds the whole header
    /// section. When the session leaves DATA without `.deliver`, the file
    /// is no longer needed.
    case spill(ByteBuffer)
    /// Store the message for every recipient, then call `deliveryFinished(_:)`.
    /// No reply may be sent before the message is on stable storage.
    case deliver(MailTransaction)
}
