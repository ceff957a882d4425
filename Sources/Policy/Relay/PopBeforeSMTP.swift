import MailCore
import SMTPProtocol
import Synchronization

/// POP-before-SMTP (off by default): a successful POP3 login lets the
/// client's IP address relay through SMTP for a while.
///
/// It is the weakest of the three relay permissions — behind NAT every user
/// of the same public address inherits it, and a stolen password opens relay
/// for whoever holds it — so it is explicit, bounded in time and logged with
/// who opened it and how long ago. The table lives in memory only: a restart
/// closes every window, which is the safe direction. So do `sims account
/// passwd` and `sims account remove`: each login remembers a fingerprint of
/// the account's password hash, and a window whose account is gone or has a
/// new password is closed at the next lookup.
public final class PopBeforeSMTP: Sendable {
    /// A login that opened relay for an address.
    public struct Login: Hashable, Sendable {
        public var account: String
        public var at: ContinuousClock.Instant
        /// The account's credential fingerprint at login time.
        public var credentials: String
    }

    private let window: Duration
    private let clock: @Sendable () -> ContinuousClock.Instant
    /// The account's current credential fingerprint, nil when it no longer
    /// exists (`Directory.credentialStamp`).
    private let credentialStamp: @Sendable (String) -> String?
    private let logins = Mutex([IPAddress: Login]())
    /// Bound on remembered addresses; expired entries are dropped first.
    private let capacity: Int

    public init(
        window: Duration, capacity: Int = 100_000, clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        credentialStamp: @escaping @Sendable (String) -> String? = { _ in "" }
    ) {
        self.window = window
        self.credentialStamp = credentialStamp
        self.capacity = capacity
        self.clock = clock
    }

    /// The window as the log shows it (`10m0s`).
    public var windowText: String { window.shortText }

    /// Records a successful POP3 login of `account` from `clientAddress`.
    public func recordLogin(of account: String, from clientAddress: String) {
        guard let address = IPAddress(clientAddress), let credentials = credentialStamp(account) else { return }
        let now = clock()
        let window = self.window
        let capacity = self.capacity
        logins.withLock { logins in
            if logins.count >= capacity {
                logins = logins.filter { now - $0.value.at < window }
                // Still full of fresh logins: forget the oldest, not the newest.
                if logins.count >= capacity, let oldest = logins.min(by: { $0.value.at < $1.value.at }) {
                    logins[oldest.key] = nil
                }
            }
            logins[address] = Login(account: account, at: now, credentials: credentials)
        }
    }

    /// The relay permission an address has from a recent POP3 login, if any.
    public func permission(for clientAddress: String) -> RelayPermissionGrant? {
        guard let address = IPAddress(clientAddress) else { return nil }
        let now = clock()
        guard let login = logins.withLock({ $0[address] }), now - login.at < window else { return nil }
        guard credentialStamp(login.account) == login.credentials else {
            // The password was changed or the account removed since the login.
            logins.withLock { logins in
                if logins[address] == login { logins[address] = nil }
            }
            return nil
        }
        return RelayPermissionGrant(account: login.account, address: address.description, age: now - login.at)
    }
}

/// What a POP-before-SMTP permission records for the log.
public struct RelayPermissionGrant: Hashable, Sendable {
    public var account: String
    public var address: String
    public var age: Duration
}
