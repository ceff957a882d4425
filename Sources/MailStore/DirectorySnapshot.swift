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

    static func load(_ db: GRDB.Database) throws -> DirectorySnapshot {
        var snapshot = DirectorySnapshot()
        for row in try Row.fetchAll(db, sql: "SELECT name, catchAll FROM domain") {
            snapshot.domains[row["name"]] = .some(row["catchAll"])
        }
        snapshot.accounts = Set(try String.fetchAll(db, sql: "SELECT address FROM account"))
        for row in try Row.fetchAll(db, sql: "SELECT address, target FROM alias ORDER BY address, target") {
            snapshot.aliases[row["address"], default: []].append(row["target"])
        }
        snapshot.firstPostmaster =
            try String.fetchOne(db, sql: "SELECT address FROM account WHERE address LIKE 'postmaster@%' ORDER BY domain LIMIT 1")
            ?? String.fetchOne(db, sql: "SELECT target FROM alias WHERE address LIKE 'postmaster@%' ORDER BY address LIMIT 1")
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
