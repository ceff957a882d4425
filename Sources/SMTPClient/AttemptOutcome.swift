import MailCore

/// The result of one delivery attempt to one server.
public enum AttemptOutcome: Sendable, Hashable {
    /// The transaction ran: each recipient has its own reply (RCPT refusals, or the DATA/final-dot reply for the accepted ones).
    case transaction(recipientReplies: [String: SMTPReply], remote: String)
    /// The whole attempt failed before recipients could be judged individually
    /// (connection refused/timeout, greeting 4xx/5xx, MAIL refused, TLS required but unavailable, protocol error).
    /// `reply` is the server's reply when there was one; `isPermanent` says whether retrying can help.
    case failed(reason: String, reply: SMTPReply?, isPermanent: Bool)
}
