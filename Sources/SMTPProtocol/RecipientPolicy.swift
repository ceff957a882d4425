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
/// accepted only for an explicit, positive relay permission, and the
/// permission travels with the recipient into the queue and the log. Without
/// one, the recipient is refused with 554 5.7.1 — at RCPT time, never
/// accepted and bounced later (no backscatter).
public enum RecipientPolicy {
    /// - Parameter refusal: why there is no `permission`, when the relay
    ///   decision knows better than "no reason at all" (the default gateway).
    public static func decide(
        _ path: EnvelopePath, resolution: LocalResolution, clientAddress: String, permission: RelayPermission? = nil,
        refusal: RelayRefusal? = nil
    ) -> RecipientDecision {
        switch resolution {
        case .accounts(let accounts):
            return RecipientDecision(
                verdict: .accept(.local(accounts: accounts)),
                logText: "accepted: local mailbox \(accounts.joined(separator: ", "))")
        case .unknownUser:
            return RecipientDecision(
                verdict: .reject(Replies.unknownUser), logText: "\(RecipientFate.refused.word): unknown user")
        case .notLocal:
            if let permission, case .mailbox(let mailbox) = path {
                // Relaying goes to domains only: an address literal names a
                // host, which is how relay tricks smuggle destinations past filters.
                guard case .name(let domain) = mailbox.domain else {
                    return RecipientDecision(
                        verdict: .reject(SMTPReply(554, .init(5, 7, 1), "Relay to address literals is not allowed")),
                        logText: "\(RecipientFate.refusedRelay.word): address literal destination, even for \(permission)")
                }
                return RecipientDecision(
                    verdict: .accept(.relay(domain: domain, permission: permission)),
                    logText: "accepted for relay: \(permission)")
            }
            let refusal = refusal ?? .noPermission(client: clientAddress)
            return RecipientDecision(
                verdict: .reject(refusal.reply), logText: "\(RecipientFate.refusedRelay.word): \(refusal.detail)")
        }
    }
}
