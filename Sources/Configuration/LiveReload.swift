import TOMLKit

/// What a SIGHUP may change in a running server, and what it may not.
///
/// Live: `relay.client_networks` (the relay decision and the anti-spam
/// exemption read it per recipient and per connection) and `log.level` /
/// `log.modules` (every logger reads them per event). The certificate
/// files and the DKIM keys are re-read on SIGHUP too, and accounts,
/// domains and aliases never need a signal. Everything else (listeners,
/// host name, limits, timeouts, anti-spam, queue, delivery, storage) is
/// fixed when a connection, a listener or the queue is built: a change is
/// named in the log as waiting for a restart, never half applied.
public enum LiveReload {
    /// Keys (and key prefixes, ending in ".") a SIGHUP applies.
    public static let liveKeys = ["relay.client_networks", "log.level", "log.modules."]

    public static func isLive(_ key: String) -> Bool {
        liveKeys.contains { $0.hasSuffix(".") ? key.hasPrefix($0) || key == String($0.dropLast()) : key == $0 }
    }

    /// The keys whose value differs between two versions of sims.toml (added,
    /// removed or changed), each as written in the file (`limits.connections`,
    /// `log.modules.SMTP`), sorted.
    public static func changedKeys(from old: [String: String], to new: [String: String]) -> [String] {
        Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
    }

    /// What a reload does with a new version of the file.
    public struct Plan: Equatable, Sendable {
        /// Changed keys the running server takes over now.
        public var applied: [String]
        /// Changed keys that wait for a restart.
        public var waiting: [String]
        /// What the next reload compares with: the new values of the live
        /// keys, the running (old) values of the others, so a change that
        /// waits for a restart is named again at every reload until then.
        public var baseline: [String: String]
    }

    public static func plan(running old: [String: String], file new: [String: String]) -> Plan {
        let changed = changedKeys(from: old, to: new)
        var baseline = old
        for key in changed where isLive(key) { baseline[key] = new[key] }
        return Plan(applied: changed.filter(isLive), waiting: changed.filter { !isLive($0) }, baseline: baseline)
    }

    /// Every key of a sims.toml text with its value as text; nil when the
    /// text is not valid TOML (the loader then says why).
    public static func flatten(_ text: String) -> [String: String]? {
        guard let table = try? TOMLTable(string: text) else { return nil }
        var keys: [String: String] = [:]
        flatten(table, prefix: "", into: &keys)
        return keys
    }

    private static func flatten(_ table: TOMLTable, prefix: String, into keys: inout [String: String]) {
        for key in table.keys {
            let full = prefix.isEmpty ? key : "\(prefix).\(key)"
            guard let value = table[key] else { continue }
            if let inner = value.table {
                flatten(inner, prefix: full, into: &keys)
            } else {
                keys[full] = value.debugDescription
            }
        }
    }
}
