import Foundation
import Synchronization

/// Brute-force protection for SMTP AUTH (and, later, POP3), shared by all
/// listeners: failures are counted per client address and per account.
///
/// - After `delayAfter` failures from an address, each further failure is
///   answered only after a pause that grows with the count (a tarpit).
/// - After `banAfter` failures from an address within `window`, the address
///   is banned: new connections get 421 at once. Each new ban of the same
///   address lasts twice as long as the previous one (up to a day).
/// - After `lockAfter` failures for one account within `window`, the account
///   is locked for `window`: even the right password fails, with the same
///   reply, so an attacker cannot tell a locked account, a wrong password and
///   a user that does not exist apart.
///
/// A successful login does not clear an address's failures: an attacker
/// who owns one account could otherwise interleave its right password with
/// guesses at others and never be banned. Failures only age out of `window`.
/// Addresses are the normalized text the listeners produce (`ClientAddress`),
/// so `::ffff:192.0.2.7` and `192.0.2.7` are one client.
public final class AuthenticationGuard: Sendable {
    public struct Settings: Sendable {
        public var delayAfter = 3
        public var delayStep: Duration = .seconds(1)
        public var maximumDelay: Duration = .seconds(10)
        public var banAfter = 10
        public var firstBan: Duration = .seconds(15 * 60)
        public var maximumBan: Duration = .seconds(24 * 3600)
        public var lockAfter = 10
        public var window: Duration = .seconds(15 * 60)
        public init() {}
    }

    /// What to do after a failed attempt.
    public enum Verdict: Equatable, Sendable {
        /// Reply 535 after this pause (zero for the first few failures).
        case delay(Duration)
        /// The address is now banned until the given time: 421 and close.
        case ban(until: ContinuousClock.Instant, length: Duration)
    }

    private struct Record {
        var failures: [ContinuousClock.Instant] = []
        var bannedUntil: ContinuousClock.Instant?
        var bans = 0
    }

    private struct State {
        var addresses: [String: Record] = [:]
        var accounts: [String: Record] = [:]
    }

    private let settings: Settings
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())
    /// Bound on remembered addresses/accounts, so a spray from many addresses cannot exhaust memory.
    private let capacity = 100_000
    /// The sessions open from each address, which a ban ends.
    public let openSessions = OpenSessions()

    public init(settings: Settings = Settings(), clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.settings = settings
        self.clock = clock
    }

    /// The end of the ban of an address, if it is banned now.
    public func banned(_ address: String) -> ContinuousClock.Instant? {
        let now = clock()
        return state.withLock { state in
            guard let until = state.addresses[address]?.bannedUntil, until > now else { return nil }
            return until
        }
    }

    /// Whether an account is locked after too many failures.
    public func isLocked(_ account: String) -> Bool {
        let now = clock()
        return state.withLock { state in
            let recent = state.accounts[account.lowercased()]?.failures.filter { now - $0 < settings.window }.count ?? 0
            return recent >= settings.lockAfter
        }
    }

    /// Records a failed attempt from `address` for `account`.
    public func failed(address: String, account: String) -> Verdict {
        let now = clock()
        return state.withLock { state in
            if state.addresses.count > capacity || state.accounts.count > capacity { prune(&state, now: now) }
            var record = state.addresses[address, default: Record()]
            record.failures = record.failures.filter { now - $0 < settings.window } + [now]
            state.accounts[account.lowercased(), default: Record()].failures.append(now)
            defer { state.addresses[address] = record }
            if record.failures.count >= settings.banAfter {
                record.bans += 1
                let length = min(settings.firstBan * (1 << min(record.bans - 1, 20)), settings.maximumBan)
                record.bannedUntil = now + length
                record.failures = []
                return .ban(until: now + length, length: length)
            }
            let beyond = record.failures.count - settings.delayAfter
            guard beyond > 0 else { return .delay(.zero) }
            return .delay(min(settings.delayStep * beyond, settings.maximumDelay))
        }
    }

    private func prune(_ state: inout State, now: ContinuousClock.Instant) {
        state.addresses = state.addresses.filter { _, record in
            (record.bannedUntil.map { $0 > now } ?? false) || record.failures.contains { now - $0 < settings.window }
        }
        state.accounts = state.accounts.filter { _, record in record.failures.contains { now - $0 < settings.window } }
    }
}
