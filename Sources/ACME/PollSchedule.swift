import Foundation

/// How long to wait between polls of an authorization or an order.
///
/// RFC 8555 § 7.5.1: clients "SHOULD NOT" poll more often than the server's
/// Retry-After allows. A Retry-After is honoured but bounded, so that a
/// server asking for a day does not stall startup, and the whole wait has a
/// budget after which the attempt fails (the service backs off and retries).
struct PollSchedule {
    static let shortest: Duration = .seconds(1)
    static let longest: Duration = .seconds(30)
    static let budget: Duration = .seconds(300)
    private(set) var waited: Duration = .zero
    private var polls = 0

    /// The next wait, or nil when the budget is spent.
    mutating func next(retryAfter: String?, now: Date = Date()) -> Duration? {
        polls += 1
        // Without a hint: 1 s, 2 s, 3 s … up to 5 s.
        let hinted = retryAfter.flatMap { Self.parseRetryAfter($0, now: now) } ?? .seconds(min(polls, 5))
        let delay = min(max(hinted, Self.shortest), Self.longest)
        guard waited + delay <= Self.budget else { return nil }
        waited += delay
        return delay
    }

    /// RFC 9110 § 10.2.3: delay-seconds or an HTTP-date.
    static func parseRetryAfter(_ text: String) -> Duration? { parseRetryAfter(text, now: Date()) }

    static func parseRetryAfter(_ text: String, now: Date) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed) { return seconds >= 0 ? .seconds(seconds) : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .seconds(max(0, Int(date.timeIntervalSince(now).rounded(.up))))
    }
}
