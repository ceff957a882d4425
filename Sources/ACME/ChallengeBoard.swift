import Synchronization

/// The HTTP-01 answers being offered: token → key authorization (RFC 8555
/// § 8.3). The issuance writes to it; the port-80 responder reads it.
public final class ChallengeBoard: Sendable {
    private let entries = Mutex<[String: String]>([:])

    public init() {}

    public func publish(token: String, keyAuthorization: String) {
        entries.withLock { $0[token] = keyAuthorization }
    }

    public func withdraw(token: String) {
        entries.withLock { _ = $0.removeValue(forKey: token) }
    }

    public func keyAuthorization(for token: String) -> String? {
        entries.withLock { $0[token] }
    }
}
