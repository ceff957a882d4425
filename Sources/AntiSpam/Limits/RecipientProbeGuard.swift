import MailCore

/// Dictionary-attack defence for one SMTP session: a tarpit for clients that
/// guess recipients.
///
/// The first `freeUnknownRecipients` unknown recipients are answered at once
/// (people mistype). Each further one is answered only after a pause that
/// doubles each time (`firstDelay`, 2×, 4×, … at most `maximumDelay`), and the
/// `dropAfter`-th one ends the session with 421 4.7.0. A prober thus pays
/// seconds per guess instead of milliseconds, and learns little per
/// connection. A client the `ProbePenaltyBox` remembers starts without free
/// guesses.
///
/// A value per session, pure: it returns the pause, the caller sleeps (and on
/// `.drop` also calls `ProbePenaltyBox.penalize`).
public struct RecipientProbeGuard: Hashable, Sendable {
    public struct Settings: Hashable, Sendable {
        public var freeUnknownRecipients = 3
        public var firstDelay: Duration = .seconds(1)
        public var maximumDelay: Duration = .seconds(10)
        /// The unknown recipient that ends the session; 0 never drops.
        public var dropAfter = 10

        public init() {}
    }

    /// What to do with the reply to an unknown recipient.
    public enum Action: Hashable, Sendable {
        /// Send the usual 550 after this pause (zero for the free ones).
        case reply(after: Duration)
        /// Send this 421 (after the pause) and close the connection.
        case drop(SMTPReply, after: Duration)
    }

    public let settings: Settings
    /// True when the client started out penalised (no free guesses).
    public let startedSlowed: Bool
    public private(set) var unknownRecipients = 0

    public init(settings: Settings = Settings(), slowed: Bool = false) {
        self.settings = settings
        self.startedSlowed = slowed
    }

    /// Records one unknown recipient and says how to answer it.
    public mutating func unknownRecipient(hostname: String) -> Action {
        unknownRecipients += 1
        let pause = delay(for: unknownRecipients)
        if settings.dropAfter > 0 && unknownRecipients >= settings.dropAfter {
            return .drop(Self.dropReply(hostname: hostname), after: pause)
        }
        return .reply(after: pause)
    }

    /// The pause before the reply to the `count`-th unknown recipient.
    public func delay(for count: Int) -> Duration {
        let free = startedSlowed ? 0 : settings.freeUnknownRecipients
        let beyond = count - free
        guard beyond > 0 else { return .zero }
        // 2^(beyond-1), without overflowing for very long sessions.
        let factor = 1 << min(beyond - 1, 30)
        return min(settings.firstDelay * factor, settings.maximumDelay)
    }

    public static func dropReply(hostname: String) -> SMTPReply {
        SMTPReply(421, EnhancedStatusCode(4, 7, 0), "\(hostname) Too many unknown recipients, closing connection")
    }
}
