import Crypto
import Foundation
import Synchronization

/// Remembers, for a few minutes, that a password was right, so that a mail
/// client polling POP3 every minute does not cost a PBKDF2 run (≈35 ms of CPU)
/// each time — what Dovecot's auth_cache does.
///
/// Only successes are remembered, as an HMAC of (stored hash, password) under
/// a key that lives in this process's memory only: the cache never holds a
/// password or anything a password can be recovered from offline, a changed
/// password (a new stored hash) misses at once, and every wrong password or
/// unknown user still pays the full PBKDF2 cost, so guessing is no cheaper.
public final class VerifiedPasswordCache: Sendable {
    private struct Entry {
        var mac: Data
        var expires: ContinuousClock.Instant
    }

    private let key = SymmetricKey(size: .bits256)
    private let lifetime: Duration
    private let capacity: Int
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let entries = Mutex([String: Entry]())

    public init(
        lifetime: Duration = .seconds(300), capacity: Int = 10_000,
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.clock = clock
    }

    /// Whether `password` was verified against `storedHash` for `account` recently.
    public func confirms(_ password: String, account: String, storedHash: String) -> Bool {
        let mac = self.mac(password, storedHash: storedHash)
        let now = clock()
        return entries.withLock { entries in
            guard let entry = entries[account], entry.expires > now else { return false }
            // Constant-time comparison of the two MACs.
            return entry.mac.count == mac.count && zip(entry.mac, mac).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }

    /// Records a successful PBKDF2 verification.
    public func remember(_ password: String, account: String, storedHash: String) {
        let entry = Entry(mac: mac(password, storedHash: storedHash), expires: clock() + lifetime)
        let now = clock()
        let capacity = self.capacity
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= capacity { entries.removeAll() }
            }
            entries[account] = entry
        }
    }

    /// Forgets an account (its password changed, or it was removed).
    public func forget(_ account: String) {
        _ = entries.withLock { $0.removeValue(forKey: account) }
    }

    private func mac(_ password: String, storedHash: String) -> Data {
        var message = Data(storedHash.utf8)
        message.append(0)
        message.append(contentsOf: password.utf8)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }
}
