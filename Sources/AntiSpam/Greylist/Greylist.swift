import MailCore
import NIOConcurrencyHelpers

/// Greylisting (RFC 6647): the first attempt of an unknown (network, sender,
/// recipient) triplet is refused with a temporary error; a real MTA retries,
/// most spam software does not.
///
/// A triplet first seen is refused until `delay` has passed; a retry between
/// `delay` and `retryWindow` after the first attempt passes and allows the
/// triplet for `expiry`, renewed by each message. Before `delay` the retry is
/// refused again (without restarting the clock).
///
/// Never applied to authenticated users or client networks (nor, usually,
/// to local senders): the caller skips the check for them. Checked at RCPT,
/// once the recipient is known to be valid, so that an unknown recipient
/// gets its 550 rather than a 451.
public final class Greylist: Sendable {
    private enum Entry: Sendable {
        case pending(firstSeen: ContinuousClock.Instant)
        case allowed
    }

    public let settings: GreylistSettings
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let table: NIOLockedValueBox<ExpiringTable<GreylistTriplet, Entry>>

    public init(
        settings: GreylistSettings = GreylistSettings(), clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.settings = settings
        self.clock = clock
        self.table = NIOLockedValueBox(ExpiringTable(capacity: max(1, settings.capacity)))
    }

    /// Checks (and records) one delivery attempt. `sender` is the MAIL FROM
    /// address without brackets (empty for `<>`), `recipient` the RCPT TO one.
    public func check(clientAddress: String, sender: String, recipient: String) -> GreylistVerdict {
        let triplet = GreylistTriplet(clientAddress: clientAddress, sender: sender, recipient: recipient, settings: settings)
        let now = clock()
        return table.withLockedValue { table in
            switch table.value(for: triplet, at: now) {
            case .allowed:
                table.set(triplet, .allowed, expires: now + settings.expiry, now: now)
                return .pass(triplet, .known)
            case .pending(let firstSeen):
                let waited = now - firstSeen
                if waited >= settings.delay {
                    table.set(triplet, .allowed, expires: now + settings.expiry, now: now)
                    return .pass(triplet, .retried(after: waited))
                }
                return .greylisted(triplet, retryIn: settings.delay - waited)
            case nil:
                table.set(triplet, .pending(firstSeen: now), expires: now + settings.retryWindow, now: now)
                return .greylisted(triplet, retryIn: settings.delay)
            }
        }
    }

    /// Triplets remembered now (for tests and metrics).
    public var count: Int { table.withLockedValue { $0.count } }
}

/// The outcome of a greylisting check.
public enum GreylistVerdict: Hashable, Sendable, CustomStringConvertible {
    public enum Pass: Hashable, Sendable {
        /// The triplet had passed before and is still allowed.
        case known
        /// The client came back after the delay: it is a real MTA.
        case retried(after: Duration)
    }

    case pass(GreylistTriplet, Pass)
    case greylisted(GreylistTriplet, retryIn: Duration)

    public var isPass: Bool {
        if case .pass = self { return true }
        return false
    }

    /// 451 4.7.1 (RFC 6647 § 2.1 asks for a 4xx; 4.7.1 "delivery not
    /// authorized" is what the big greylisting implementations send).
    public var reply: SMTPReply? {
        guard case .greylisted(_, let retryIn) = self else { return nil }
        return SMTPReply(451, EnhancedStatusCode(4, 7, 1), "Greylisted, try again in \(retryIn.roundedUpToWholeSeconds.shortText)")
    }

    /// The log text, e.g. `greylisted (203.0.113.0/24, <a@b.example>, <u@example.test>), retry in 300 s`.
    public var description: String {
        switch self {
        case .pass(let triplet, .known): return "greylist: passed \(triplet) (known)"
        case .pass(let triplet, .retried(let after)):
            return "greylist: passed \(triplet) (retried after \(after.roundedUpToWholeSeconds.shortText))"
        case .greylisted(let triplet, let retryIn): return "greylisted \(triplet), retry in \(retryIn.roundedUpToWholeSeconds.shortText)"
        }
    }
}
