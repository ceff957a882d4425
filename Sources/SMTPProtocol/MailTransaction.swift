import MailCore
import NIOCore

/// Where an accepted recipient's copy of the message goes.
public enum RecipientDestination: Hashable, Sendable {
    /// Into the Maildirs of these accounts (an alias may name several).
    case local(accounts: [String])
    /// Into the outbound queue, for a remote domain, with the permission that allowed it.
    case relay(domain: String, permission: RelayPermission)
}

/// A recipient that RCPT accepted.
public struct AcceptedRecipient: Hashable, Sendable {
    /// The forward-path as the client sent it.
    public var path: EnvelopePath
    public var destination: RecipientDestination

    public init(path: EnvelopePath, destination: RecipientDestination) {
        self.path = path
        self.destination = destination
    }
}

/// One mail transaction: from MAIL to the end of DATA.
public struct MailTransaction: Sendable {
    public var id: QueueID
    public var reversePath: EnvelopePath
    public var parameters: MailParameters
    public var recipients: [AcceptedRecipient] = []
    /// RCPT commands refused in this transaction (for "554 no valid recipients").
    public var refusedRecipients = 0
    /// The message as received: dot-unstuffed, CR LF line endings, no Received header yet.
    public var message = ByteBuffer()
    /// Message text handed to the driver earlier by `.spill` actions; the
    /// whole message is those bytes, in order, followed by `message`.
    public var spilledBytes = 0

    /// The size of the whole message text.
    public var messageSize: Int { spilledBytes + message.readableBytes }

    public init(id: QueueID, reversePath: EnvelopePath, parameters: MailParameters) {
        self.id = id
        self.reversePath = reversePath
        self.parameters = parameters
    }
}

/// The policy's answer for one RCPT.
public enum RecipientVerdict: Hashable, Sendable {
    case accept(RecipientDestination)
    case reject(SMTPReply)
    /// Refuse and end the session (421): a dictionary attack, a rate limit.
    case rejectAndClose(SMTPReply)
}

/// The driver's verdict on a policy check (HELO, sender).
public enum PolicyVerdict: Hashable, Sendable {
    case accept
    case reject(SMTPReply)
    /// Refuse and end the session (421, or 554 for a blocklisted client).
    case rejectAndClose(SMTPReply)
}

/// The store's answer at the end of DATA.
public enum DeliveryOutcome: Hashable, Sendable {
    /// Every recipient's copy is on stable storage.
    case stored
    /// Nothing was stored; the client is told to try again later (451/452).
    case temporaryFailure(SMTPReply)
}
