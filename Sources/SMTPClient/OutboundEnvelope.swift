/// The envelope of one outbound message: who it is from and whom it is for.
///
/// The addresses are mailbox strings without angle brackets; the client
/// adds them (`MAIL FROM:<…>`, `RCPT TO:<…>`).
public struct OutboundEnvelope: Sendable, Hashable {
    /// The reverse path; "" is the null sender `<>` of bounces (RFC 5321 § 4.5.5).
    public var reversePath: String
    /// The forward paths. Duplicates are sent once.
    public var recipients: [String]

    public init(reversePath: String, recipients: [String]) {
        self.reversePath = reversePath
        self.recipients = recipients
    }
}
