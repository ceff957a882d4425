/// The outcome of a relay check: every trick with the server's replies, and
/// one verdict.
public struct RelayCheckReport: Sendable, Hashable {
    /// The final answer.
    public enum Verdict: String, Sendable, Hashable, Codable {
        /// Every trick was refused with a permanent error.
        case closed
        /// At least one trick was accepted at RCPT.
        case open
        /// Nothing accepted, but not everything refused either (4xx, broken
        /// connections, or no session at all).
        case inconclusive
    }

    public var banner: RelayProbeReply?
    public var battery: RelayTrickBattery?
    public var results: [RelayTrickResult]
    /// Tricks the check never got to.
    public var untried: [RelayTrick]
    /// Why the check stopped early, if it did.
    public var failure: String?

    public init(
        banner: RelayProbeReply?, battery: RelayTrickBattery?, results: [RelayTrickResult], untried: [RelayTrick],
        failure: String?
    ) {
        self.banner = banner
        self.battery = battery
        self.results = results
        self.untried = untried
        self.failure = failure
    }

    public var total: Int { results.count + untried.count }
    public var accepted: [RelayTrickResult] { results.filter { $0.verdict == .accepted } }
    public var refusedCount: Int { results.filter { $0.verdict == .refused }.count }

    public var verdict: Verdict {
        if !accepted.isEmpty { return .open }
        if total > 0 && refusedCount == total { return .closed }
        return .inconclusive
    }

    /// The last line of the report.
    public var summary: String {
        switch verdict {
        case .open:
            return "OPEN RELAY: \(accepted.count) of \(total) tricks accepted"
        case .closed:
            return "not an open relay: all \(total) tricks refused"
        case .inconclusive:
            if results.isEmpty { return "could not test: \(failure ?? "no answer")" }
            let unanswered = total - refusedCount
            var text = "no trick accepted, but \(unanswered) of \(total) got no definite answer"
            if let failure { text += " (\(failure))" }
            return text
        }
    }

    /// `sims check-relay`'s exit status: 0 closed, 1 open, 2 could not tell.
    public var exitStatus: Int32 {
        switch verdict {
        case .closed: return 0
        case .open: return 1
        case .inconclusive: return 2
        }
    }
}
