import AntiSpam
import NIOCore
import SMTPProtocol

/// What the server reads from, and removes from, the header section of a
/// received message before storing it: the Message-ID (for the log, so
/// `sims explain` finds the message by it) and any Authentication-Results
/// field that claims our authserv-id (RFC 8601 § 5: a sender must not
/// forge our verdicts). A pure value over the start of the message text:
/// the whole text of a small message, the first chunk of a large one (which
/// holds the whole header section; larger sections are refused).
struct HeaderSection {
    let messageID: String?
    /// The text without the forged fields; nil when there were none.
    let cleaned: [UInt8]?

    init(of text: ByteBuffer, authservID: String) {
        messageID = MessageIDHeader.find(in: text)
        cleaned = ForgedAuthenticationResults.removing(from: text.readableBytesView, authservID: authservID)
    }
}
