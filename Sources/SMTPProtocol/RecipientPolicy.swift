import MailCore

/// The RCPT decision, with the words the log uses for it.
public struct RecipientDecision: Hashable, Sendable {
    public var verdict: RecipientVerdict
    /// The fate word and reason for the log: `accepted: local mailbox alice@…`,
    /// `refused: unknown user`, `refused relay: …`.
    public var logText: String
}

/// Decides each recipient's fate at RCPT time.
///
/// Promise 1 of SIMS lives here: a recipient that is not a local mailbox is
/// accepted only for an explicit, positive relay permission. This issue
/// grants none, so every non-local recipient is refused with 554 5.7.1 — at
/// RCPT time, never accepted and bounced later (no backscatter).
public enum RecipientPolicy {
    public static func decide(
        _ path: EnvelopePath, resolution: LocalResolution, clientAddress: String
    ) -> RecipientDecision {
        switch resolution {
        case .accounts(let accounts):
            return RecipientDecision(
                verdict: .accept(.local(accounts: accounts)),
                logText: "accepted: local mailbox \(accounts.joined(separator: ", "))")
        case .unknownUser:
            return RecipientDecision(verdict: .reject(Replies.unknownUser), logText: "refused: unknown user")
        case .notLocal:
            return RecipientDecision(
                verdict: .reject(Replies.relayDenied),
                logText: "refused relay: client \(clientAddress) is not authenticated and not in a client network")
        }
    }
}
