import Foundation
import GRDB
import MailCore
import Synchronization

/// Errors from directory changes, worded for the person at the command line.
public enum DirectoryError: Error, CustomStringConvertible, Equatable {
    case invalidAddress(String)
    case invalidDomain(String)
    case domainNotLocal(String)
    case domainExists(String)
    case domainNotFound(String)
    case domainInUse(String, accounts: Int)
    case accountExists(String)
    case accountNotFound(String)
    case aliasExists(String, target: String)
    case aliasNotFound(String)
    case aliasShadowsAccount(String)
    case accountShadowsAlias(String)
    case invalidSenderPattern(String)
    case unsafeLocalPart(String)

    public var description: String {
        switch self {
        case .invalidAddress(let address): return "'\(address)' is not a valid address (expected user@domain)"
        case .invalidDomain(let domain): return "'\(domain)' is not a valid domain name"
        case .domainNotLocal(let domain):
            return "domain \(domain) is not a local domain; add it first with 'sims domain add \(domain)'"
        case .domainExists(let domain): return "domain \(domain) already exists"
        case .domainNotFound(let domain): return "domain \(domain) does not exist"
        case .domainInUse(let domain, let accounts): return "domain \(domain) still has \(accounts) account(s); remove them first"
        case .accountExists(let address): return "account \(address) already exists"
        case .accountNotFound(let address): return "account \(address) does not exist"
        case .aliasExists(let alias, let target): return "alias \(alias) -> \(target) already exists"
        case .aliasNotFound(let alias): return "alias \(alias) does not exist"
        case .aliasShadowsAccount(let alias): return "\(alias) is an account; an alias cannot have the same address"
        case .invalidSenderPattern(let pattern):
            return "'\(pattern)' is not a sender pattern (an address, *@domain, or *)"
        case .unsafeLocalPart(let address):
            return "'\(address)' cannot be an account or alias: its local part may hold only \(AccountLocalPart.rule)"
        case .accountShadowsAlias(let address):
            return "\(address) is an alias; remove it first with 'sims alias remove \(address)'"
        }
    }
}

/// Domains, accounts and aliases, kept in `sims.sqlite`.
///
/// The server and the `sims` command open the same file; SQLite's WAL mode
/// lets the command change the directory while the server reads it, so no
/// restart is needed. Addresses are stored lower-cased: local parts are
/// matched case-insensitively, as nearly every mail system does.
public final class Directory: Sendable {
    let pool: DatabasePool
    let snapshotCache = Mutex<CachedSnapshot?>(nil)

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
        // It holds password hashes: owner only (SQLite gives -wal/-shm the same mode).
        chmod(path, 0o600)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "domain") { table in
                table.column("name", .text).primaryKey()
                table.column("catchAll", .text)
                table.column("created", .datetime).notNull()
            }
            try db.create(table: "account") { table in
                table.column("address", .text).primaryKey()
                table.column("domain", .text).notNull().indexed()
                    .references("domain", column: "name", onDelete: .restrict)
                table.column("passwordHash", .text).notNull()
                table.column("created", .datetime).notNull()
            }
            try db.create(table: "alias") { table in
                table.column("address", .text).notNull().indexed()
                table.column("target", .text).notNull()
                table.primaryKey(["address", "target"])
            }
        }
        migrator.registerMigration("v2-sender-patterns") { db in
            // Extra envelope senders an account may use after AUTH, beyond
            // its address and aliases: an address, "*@domain" or "*".
            try db.create(table: "accountSender") { table in
                table.column("account", .text).notNull().indexed()
                    .references("account", column: "address", onDelete: .cascade)
                table.column("pattern", .text).notNull()
                table.primaryKey(["account", "pattern"])
            }
        }
        return migrator
    }
}
