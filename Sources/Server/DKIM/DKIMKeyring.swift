import DKIM
import Logging
import MailCore
import NIOConcurrencyHelpers

/// The DKIM signing keys the server holds, by domain: read from
/// `dkim/DOMAIN/SELECTOR.TYPE.pem` at startup and again on `reload()`.
/// A message is signed with every key of its author's domain (one
/// DKIM-Signature each), so a key being rotated in and the one being
/// rotated out both sign until the old file is removed.
public final class DKIMKeyring: Sendable {
    /// One key and the selector its public key is published under.
    public struct SigningKey: Sendable {
        public var selector: String
        public var key: DKIMPrivateKey
    }

    public let store: DKIMKeyStore
    private let keys = NIOLockedValueBox<[String: [SigningKey]]>([:])

    public init(store: DKIMKeyStore) {
        self.store = store
    }

    /// Reads every key file again. Blocking file I/O: call it on the storage
    /// pool. A file that cannot be read is logged and left out; the others
    /// are used. Returns the number of keys loaded.
    @discardableResult
    public func reload(logger: Logger) -> Int {
        var loaded: [String: [SigningKey]] = [:]
        let entries: [DKIMKeyStore.Entry]
        do {
            entries = try store.entries()
        } catch {
            logger.error("DKIM keys not read from \(store.root): \(error); mail is sent unsigned")
            keys.withLockedValue { $0 = [:] }
            return 0
        }
        for entry in entries {
            do {
                loaded[entry.domain, default: []].append(SigningKey(selector: entry.selector, key: try store.load(entry)))
            } catch {
                logger.error("DKIM key \(entry.path) not used: \(error)")
            }
        }
        keys.withLockedValue { $0 = loaded }
        for (domain, found) in loaded.sorted(by: { $0.key < $1.key }) {
            let list = found.map { "s=\($0.selector) \($0.key.algorithm.rawValue)" }.joined(separator: ", ")
            logger.info("DKIM keys for \(domain): \(list)")
        }
        return loaded.values.reduce(0) { $0 + $1.count }
    }

    /// The keys that sign for `domain` (lower case), Ed25519 first.
    public func keys(for domain: String) -> [SigningKey] {
        (keys.withLockedValue { $0[domain] } ?? []).sorted {
            ($0.key.algorithm, $0.selector) < ($1.key.algorithm, $1.selector)
        }
    }

    public var isEmpty: Bool { keys.withLockedValue { $0.isEmpty } }
}
