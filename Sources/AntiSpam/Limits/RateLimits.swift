/// The rate limits an operator configures (`[limits.rate]`). Each limit is a
/// count; 0 turns it off. The windows are configurable so that tests (and
/// unusual sites) can shorten them.
public struct RateLimits: Hashable, Sendable {
    /// New connections from one client address per `connectionWindow`.
    public var connectionsPerIP = 0
    /// Messages (MAIL commands) from one unauthenticated client address per `messageWindow`.
    public var messagesPerIP = 0
    /// Recipients (RCPT commands) from one unauthenticated client address per `messageWindow`.
    public var recipientsPerIP = 0
    /// Messages from one authenticated user per `messageWindow`, whatever the address.
    public var messagesPerUser = 0
    /// Recipients from one authenticated user per `messageWindow`.
    public var recipientsPerUser = 0
    public var connectionWindow: Duration = .seconds(60)
    public var messageWindow: Duration = .seconds(3600)
    /// How many addresses and users are remembered at most; beyond that the
    /// least constrained ones are forgotten (see `ExpiringTable`).
    public var maximumTrackedKeys = 100_000

    public init() {}

    /// True when every limit is off, so the caller can skip the limiter.
    public var isOff: Bool {
        [connectionsPerIP, messagesPerIP, recipientsPerIP, messagesPerUser, recipientsPerUser]
            .allSatisfy { $0 <= 0 }
    }
}

/// Which limit a verdict is about.
public enum RateLimitKind: String, Hashable, Sendable, CaseIterable {
    case connectionsPerIP = "connections"
    case messagesPerIP = "messages"
    case recipientsPerIP = "recipients"
    case messagesPerUser = "user_messages"
    case recipientsPerUser = "user_recipients"

    /// The noun in the reply text: "Too many messages from …".
    var noun: String {
        switch self {
        case .connectionsPerIP: return "connections"
        case .messagesPerIP, .messagesPerUser: return "messages"
        case .recipientsPerIP, .recipientsPerUser: return "recipients"
        }
    }
}
