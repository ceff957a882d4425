import MailCore

/// Points from the checks whose policy is `score`, with the reasons, for one
/// message; the total is compared with the operator's thresholds.
public struct SpamScore: Hashable, Sendable, CustomStringConvertible {
    public struct Entry: Hashable, Sendable {
        /// The check, e.g. `helo`, `dnsbl`, `spf`.
        public var check: String
        public var points: Double
        /// The evidence, e.g. `listed in bl.example.test`.
        public var reason: String
    }

    /// What to do once all checks have scored.
    public struct Thresholds: Hashable, Sendable {
        /// Refuse (550 5.7.1) at or above this total; nil never refuses.
        public var reject: Double? = 5
        /// Defer (451 4.7.1) at or above this total; nil never defers.
        public var `defer`: Double? = nil

        public init(reject: Double? = 5, defer deferAt: Double? = nil) {
            self.reject = reject
            self.defer = deferAt
        }
    }

    public enum Action: Hashable, Sendable {
        case accept
        case reject(SMTPReply)
        case `defer`(SMTPReply)
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    public var total: Double { entries.reduce(0) { $0 + $1.points } }

    /// Records a check's points; a check that found nothing (0 points) leaves no entry.
    public mutating func add(_ points: Double, check: String, reason: String) {
        guard points != 0 else { return }
        entries.append(Entry(check: check, points: points, reason: reason))
    }

    public func action(_ thresholds: Thresholds) -> Action {
        let total = total
        if let reject = thresholds.reject, total >= reject {
            return .reject(SMTPReply(550, EnhancedStatusCode(5, 7, 1), "Message refused as spam (score \(Self.format(total)))"))
        }
        if let deferAt = thresholds.defer, total >= deferAt {
            return .defer(SMTPReply(451, EnhancedStatusCode(4, 7, 1), "Message deferred as possible spam, try again later"))
        }
        return .accept
    }

    /// `score 3.5 (helo +1.0: failed to verify; dnsbl +2.5: listed in bl.example.test)`.
    public var description: String {
        let parts = entries.map { "\($0.check) \($0.points >= 0 ? "+" : "")\(Self.format($0.points)): \($0.reason)" }
        return "score \(Self.format(total))" + (parts.isEmpty ? "" : " (\(parts.joined(separator: "; ")))")
    }

    static func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        let whole = Int(tenths) / 10
        let fraction = abs(Int(tenths)) % 10
        return (tenths < 0 && whole == 0 ? "-" : "") + "\(whole).\(fraction)"
    }
}
