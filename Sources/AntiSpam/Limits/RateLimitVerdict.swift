import MailCore

/// The outcome of one rate-limit check.
public enum RateLimitVerdict: Hashable, Sendable {
    case ok
    case exceeded(RateLimitExceeded)

    public var isOK: Bool { self == .ok }
}

/// A limit that was reached, with everything the log line and the reply need.
public struct RateLimitExceeded: Hashable, Sendable, CustomStringConvertible {
    public var kind: RateLimitKind
    /// The client address or the user name the limit was counted for.
    public var key: String
    /// The configured count.
    public var limit: Int
    /// The window the count is over; nil for connections at once.
    public var window: Duration?
    /// When the next attempt would be admitted; nil when that depends on
    /// other connections closing.
    public var retryAfter: Duration?

    public init(kind: RateLimitKind, key: String, limit: Int, window: Duration?, retryAfter: Duration?) {
        self.kind = kind
        self.key = key
        self.limit = limit
        self.window = window
        self.retryAfter = retryAfter
    }

    /// "Too many messages from 127.0.0.1: 100 per hour".
    public var text: String {
        let rate = window.map { "\(limit) per \(RateLimitExceeded.describe($0))" } ?? "\(limit) at once"
        return "Too many \(kind.noun) from \(key): \(rate)"
    }

    /// The log line: the text plus when the client may come back.
    public var description: String {
        guard let retryAfter else { return "rate limit: \(text)" }
        return "rate limit: \(text), retry after \(retryAfter.roundedUpToWholeSeconds.shortText)"
    }

    /// 421 4.7.0 and close for connections (RFC 5321 § 3.8: 421 names the
    /// host); 451 4.7.1 for messages and recipients, which the client retries
    /// later without the session being dropped.
    public func reply(hostname: String) -> SMTPReply {
        switch kind {
        case .connectionsPerIP:
            return SMTPReply(421, EnhancedStatusCode(4, 7, 0), "\(hostname) \(text), try again later")
        case .messagesPerIP, .recipientsPerIP, .messagesPerUser, .recipientsPerUser:
            return SMTPReply(451, EnhancedStatusCode(4, 7, 1), "\(text), try again later")
        }
    }

    /// "hour", "minute", "90 seconds", "5 minutes": the unit of a rate in
    /// words for the client's reply ("100 per hour"), not a duration display
    /// (those are `Duration.shortText`).
    static func describe(_ window: Duration) -> String {
        let seconds = window.components.seconds
        switch seconds {
        case 3600: return "hour"
        case 60: return "minute"
        case 86400: return "day"
        case let s where s > 3600 && s % 3600 == 0: return "\(s / 3600) hours"
        case let s where s > 60 && s % 60 == 0: return "\(s / 60) minutes"
        case 1: return "second"
        default: return "\(seconds) seconds"
        }
    }
}
