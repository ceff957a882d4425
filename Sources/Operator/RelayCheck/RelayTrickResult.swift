/// What the server answered to one trick.
public struct RelayTrickResult: Sendable, Hashable {
    /// The trick's fate.
    public enum Verdict: String, Sendable, Hashable, Codable {
        /// RCPT got a 2xx: the server would have taken the message for relaying.
        case accepted
        /// MAIL or RCPT got a 5xx.
        case refused
        /// MAIL or RCPT got a 4xx (greylisting, a rate limit): no conclusion.
        case temporary
        /// The connection broke or timed out before RCPT was answered.
        case noAnswer = "no-answer"
    }

    public var trick: RelayTrick
    public var mailReply: RelayProbeReply?
    public var rcptReply: RelayProbeReply?
    /// Why there is no answer, when the connection broke.
    public var problem: String?

    public init(trick: RelayTrick, mailReply: RelayProbeReply?, rcptReply: RelayProbeReply?, problem: String? = nil) {
        self.trick = trick
        self.mailReply = mailReply
        self.rcptReply = rcptReply
        self.problem = problem
    }

    public var verdict: Verdict {
        guard let mailReply else { return .noAnswer }
        if mailReply.isPermanent { return .refused }
        if !mailReply.isPositive { return .temporary }
        guard let rcptReply else { return .noAnswer }
        if rcptReply.isPositive { return .accepted }
        if rcptReply.isPermanent { return .refused }
        return .temporary
    }
}
