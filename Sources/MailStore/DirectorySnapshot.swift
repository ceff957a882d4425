import Crypto
import Foundation
import GRDB
import MailCore

/// The whole directory in memory, for RCPT lookups without a database
/// round trip. A small site has hundreds of addresses; this is kilobytes.
struct DirectorySnapshot: Sendable {
    var domains: [String: String?] = [:]  // name → catch-all account
    var accounts: Set<String> = []
    var aliases: [String: [String]] = [:]
    var firstPostmaster: String?

    /// A fingerprint of each account's stored password hash: a POP-before-SMTP
    /// window opened under one fingerprint closes when it changes or goes.
    var credentialStamps: [String: String] = [:]

    /// Accounts and aliases whose names break `AccountLocalPart` (written by
    /// an older version) are left out: mail to them is refused as to an
    /// unknown user, and they cannot log in or be sent as.
    static func load(_ db: GRDB.Database) throws -> DirectorySnapshot {
        var snapshot = DirectorySnapshot()
        var accounts: Set<String> = []
        for row in try Row.fetchAll(db, sql: "SELECT address, passwordHash FROM account") {
            let address: String = row["address"]
            guard Directory.isAllowedAccountAddress(address) else { continue }
            accounts.insert(address)
            snapshot.credentialStamps[address] = CredentialStamp.of(row["passwordHash"])
        }
        snapshot.accounts = accounts
        for row in try Row.fetchAll(db, sql: "SELECT name, catchAll FROM domain") {
            let name: String = row["name"]
            let catchAll: String? = row["catchAll"]
            let usable = catchAll.flatMap { accounts.contains($0) ? $0 : nil }
            snapshot.domains[name] = .some(usable)
        }
        for row in try Row.fetchAll(db, sql: "SELECT address, target FROM alias ORDER BY address, target") {
            let address: String = row["address"]
            let target: String = row["target"]
            guard Directory.isAllowedAccountAddress(address), accounts.contains(target) else { continue }
            snapshot.aliases[address, default: []].append(target)
        }
        let aliases = snapshot.aliases
        let postmasters = accounts.filter { $0.hasPrefix("postmaster@") }.sorted { $0.domainAfterAt < $1.domainAfterAt }
        let postmasterAlias = aliases.keys.filter { $0.hasPrefix("postmaster@") }.sorted().first
        snapshot.firstPostmaster = postmasters.first ?? postmasterAlias.flatMap { aliases[$0]?.first }
        return snapshot
    }

    /// Where mail for a recipient goes: an account, an alias's targets, the
    /// domain's catch-all, or nowhere.
    ///
    /// Only the domain decides whether an address is local; the local part is
    /// looked up as an opaque string, so `user%remote@local` or
    /// `"user@remote"@local` can only ever match a local account.
    func resolve(_ path: EnvelopePath) -> LocalResolution {
        switch path {
        case .null:
            return .notLocal
        case .localPostmaster:
            return firstPostmaster.map { .accounts([$0]) } ?? .unknownUser
        case .mailbox(let mailbox):
            guard case .name(let domain) = mailbox.domain, let catchAll = domains[domain] else { return .notLocal }
            let address = "\(mailbox.localPart.lowercased())@\(domain)"
            if accounts.contains(address) { return .accounts([address]) }
            if let targets = aliases[address] { return .accounts(targets) }
            // RFC 5321 § 4.5.1: postmaster must exist for every domain we accept mail for.
            if mailbox.localPart.lowercased() == "postmaster" {
                return firstPostmaster.map { .accounts([$0]) } ?? .unknownUser
            }
            if let catchAll { return .accounts([catchAll]) }
            return .unknownUser
        }
    }
}

extension String {
    fileprivate var domainAfterAt: Substring {
        guard let at = lastIndex(of: "@") else { return "" }
        return self[index(after: at)...]
    }
}

/// A short fingerprint of a stored password hash (never the hash itself),
/// to notice that a password was changed.
enum CredentialStamp {
    static func of(_ storedHash: String) -> String {
        SHA256.hash(data: Array(storedHash.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}

/// Notices changes that another process (the `sims` command) made to the
/// database, by the size and change time of the database and its WAL file.
/// Every committed write appends to the WAL or rewrites the database, so one
/// of the four numbers moves; as a backstop the snapshot is also reloaded
/// when it is older than `maximumAge`.
struct DatabaseFileStamp: Equatable {
    var values: [Int64] = []

    init(databasePath: String) {
        for path in [databasePath, databasePath + "-wal"] {
            var info = stat()
            if stat(path, &info) == 0 {
                values += [Int64(info.st_size), Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec), Int64(info.st_ino)]
            } else {
                values += [-1, -1, -1, -1]
            }
        }
    }
}
