import Foundation
import MailCore

/// What happened to one recipient of a queued message so far.
public enum RecipientState: String, Codable, Sendable {
    case pending
    case sent
    case failed
}

/// One remote recipient in the queue, with the permission that let it in.
public struct QueuedRecipient: Codable, Hashable, Sendable {
    public var address: String
    /// The domain its MX is looked up for (lower-cased).
    public var domain: String
    public var state: RecipientState = .pending
    /// Why this recipient was accepted for relay, e.g. "client network 192.168.0.0/24".
    public var permission: String
    /// The last thing a remote server or the network said about it.
    public var lastResult: String?
    /// The remote host that accepted or refused it, for the log and the DSN.
    public var remoteHost: String?
    /// RFC 3464 Status, e.g. "5.1.1", once known.
    public var status: String?

    public init(address: String, domain: String, permission: String) {
        self.address = address
        self.domain = domain
        self.permission = permission
    }
}

/// The envelope of a queued message: who sent it, who still needs it, and
/// when to try next. The message itself is a separate file, written once.
public struct QueuedMessage: Codable, Hashable, Sendable {
    public var id: String
    /// The reverse-path without brackets; "" is the null sender `<>` (a bounce).
    public var reversePath: String
    public var recipients: [QueuedRecipient]
    public var created: Date
    public var attempts: Int = 0
    public var nextAttempt: Date
    /// The client that handed the message to us, for the DSN's human part.
    public var receivedFrom: String
    /// Set when the sender was warned that delivery is delayed.
    public var delayWarningSent = false

    public init(id: String, reversePath: String, recipients: [QueuedRecipient], created: Date, receivedFrom: String) {
        self.id = id
        self.reversePath = reversePath
        self.recipients = recipients
        self.created = created
        self.nextAttempt = created
        self.receivedFrom = receivedFrom
    }

    public var pendingRecipients: [QueuedRecipient] { recipients.filter { $0.state == .pending } }
    public var isFinished: Bool { recipients.allSatisfy { $0.state != .pending } }
    public var isBounce: Bool { reversePath.isEmpty }
}
