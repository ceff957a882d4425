import Foundation
import GRDB
import MailCore

/// Listing rows, for `sims domain|account|alias list`.
public struct DomainRow: Sendable, Equatable {
    public var name: String
    public var catchAll: String?

    public init(name: String, catchAll: String? = nil) {
        self.name = name
        self.catchAll = catchAll
    }
}

public struct AliasRow: Sendable, Equatable {
    public var address: String
    public var target: String

    public init(address: String, target: String) {
        self.address = address
        self.target = target
    }
}

extension Directory {
    // MARK: Domains

    public func addDomain(_ rawName: String) throws {
        let name = try Self.canonicalDomain(rawName)
        try pool.write { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM domain WHERE name = ?", arguments: [name]) != nil {
                throw DirectoryError.domainExists(name)
            }
            try db.execute(sql: "INSERT INTO domain (name, created) VALUES (?, ?)", arguments: [name, Date()])
        }
    }

    public func removeDomain(_ rawName: String) throws {
        let name = rawName.lowercased()
        try pool.write { db in
            let accounts = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account WHERE domain = ?", arguments: [name]) ?? 0
            if accounts > 0 { throw DirectoryError.domainInUse(name, accounts: accounts) }
            try db.execute(sql: "DELETE FROM domain WHERE name = ?", arguments: [name])
            if db.changesCount == 0 { throw DirectoryError.domainNotFound(name) }
            try db.execute(sql: "DELETE FROM alias WHERE address LIKE ?", arguments: ["%@" + name])
        }
    }

    /// Sets or clears (nil) the account that receives mail for unknown users of a domain.
    public func setCatchAll(domain rawName: String, target: String?) throws {
        let name = rawName.lowercased()
        let canonicalTarget = try target.map { try Self.canonicalAccountAddress($0) }
        try pool.write { db in
            if let canonicalTarget, try !Self.accountExists(db, canonicalTarget) {
                throw DirectoryError.accountNotFound(canonicalTarget)
            }
            try db.execute(sql: "UPDATE domain SET catchAll = ? WHERE name = ?", arguments: [canonicalTarget, name])
            if db.changesCount == 0 { throw DirectoryError.domainNotFound(name) }
        }
    }

    public func domains() throws -> [DomainRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, catchAll FROM domain ORDER BY name").map {
                DomainRow(name: $0["name"], catchAll: $0["catchAll"])
            }
        }
    }

    // MARK: Accounts

    public func addAccount(_ rawAddress: String, passwordHash: String) throws {
        let address = try Self.canonicalAccountAddress(rawAddress)
        let domain = Self.domainPart(of: address)
        try pool.write { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM domain WHERE name = ?", arguments: [domain]) != nil else {
                throw DirectoryError.domainNotLocal(domain)
            }
            if try Self.accountExists(db, address) { throw DirectoryError.accountExists(address) }
            if try Row.fetchOne(db, sql: "SELECT 1 FROM alias WHERE address = ?", arguments: [address]) != nil {
                throw DirectoryError.accountShadowsAlias(address)
            }
            try db.execute(
                sql: "INSERT INTO account (address, domain, passwordHash, created) VALUES (?, ?, ?, ?)",
                arguments: [address, domain, passwordHash, Date()])
        }
    }

    public func setPasswordHash(_ rawAddress: String, passwordHash: String) throws {
        let address = rawAddress.lowercased()
        try pool.write { db in
            try db.execute(sql: "UPDATE account SET passwordHash = ? WHERE address = ?", arguments: [passwordHash, address])
            if db.changesCount == 0 { throw DirectoryError.accountNotFound(address) }
        }
    }

    public func removeAccount(_ rawAddress: String) throws {
        let address = rawAddress.lowercased()
        try pool.write { db in
            try db.execute(sql: "DELETE FROM account WHERE address = ?", arguments: [address])
            if db.changesCount == 0 { throw DirectoryError.accountNotFound(address) }
            try db.execute(sql: "DELETE FROM alias WHERE target = ?", arguments: [address])
            try db.execute(sql: "UPDATE domain SET catchAll = NULL WHERE catchAll = ?", arguments: [address])
        }
    }

    public func accounts() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT address FROM account ORDER BY domain, address") }
    }

    /// The envelope senders an account may use: its own address, every
    /// alias that delivers to it, and what `sims account senders` added
    /// (addresses, `*@domain`, `*`). Patterns come only from that table and
    /// are returned apart from addresses, so no account or alias name can act
    /// as one; aliases whose names break `AccountLocalPart` (left from an
    /// older version) are ignored.
    public func ownedAddresses(of rawAddress: String) throws -> SenderOwnership {
        let address = rawAddress.lowercased()
        return try pool.read { db in
            let aliases = try String.fetchAll(db, sql: "SELECT address FROM alias WHERE target = ?", arguments: [address])
            let patterns = try String.fetchAll(
                db, sql: "SELECT pattern FROM accountSender WHERE account = ?", arguments: [address])
            var owned = SenderOwnership()
            if Self.isAllowedAccountAddress(address) { owned.addresses.insert(address) }
            owned.addresses.formUnion(aliases.filter(Self.isAllowedAccountAddress))
            for pattern in patterns {
                if pattern == "*" {
                    owned.anyAddress = true
                } else if pattern.hasPrefix("*@") {
                    owned.domains.insert(String(pattern.dropFirst(2)))
                } else if !pattern.contains("*") {
                    owned.addresses.insert(pattern)
                }
            }
            return owned
        }
    }

    /// Lets an account use more envelope senders: an address, `*@domain` or `*`.
    public func addSenderPattern(_ rawAccount: String, pattern rawPattern: String) throws {
        let account = rawAccount.lowercased()
        let pattern = try Self.canonicalSenderPattern(rawPattern)
        try pool.write { db in
            guard try Self.accountExists(db, account) else { throw DirectoryError.accountNotFound(account) }
            try db.execute(
                sql: "INSERT OR IGNORE INTO accountSender (account, pattern) VALUES (?, ?)", arguments: [account, pattern])
        }
    }

    public func removeSenderPattern(_ rawAccount: String, pattern: String) throws {
        try pool.write { db in
            try db.execute(
                sql: "DELETE FROM accountSender WHERE account = ? AND pattern = ?",
                arguments: [rawAccount.lowercased(), pattern.lowercased()])
            if db.changesCount == 0 { throw DirectoryError.invalidSenderPattern(pattern) }
        }
    }

    public func senderPatterns(of rawAccount: String) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT pattern FROM accountSender WHERE account = ? ORDER BY pattern",
                arguments: [rawAccount.lowercased()])
        }
    }

    static func canonicalSenderPattern(_ raw: String) throws -> String {
        if raw == "*" { return raw }
        if raw.hasPrefix("*@") {
            let domain = String(raw.dropFirst(2))
            guard DomainSyntax.isValid(Substring(domain), allowUTF8: false) else {
                throw DirectoryError.invalidSenderPattern(raw)
            }
            return "*@\(domain.lowercased())"
        }
        // An extra address may be anyone's (a shared mailbox elsewhere), but
        // never holds a "*": patterns are only the two forms above.
        guard !raw.contains("*"), let address = try? canonicalAddress(raw) else { throw DirectoryError.invalidSenderPattern(raw) }
        return address
    }

    /// The stored hash, or nil for an unknown account and for one whose name
    /// breaks `AccountLocalPart` (left from an older version: unusable).
    public func passwordHash(for rawAddress: String) throws -> String? {
        guard Self.isAllowedAccountAddress(rawAddress.lowercased()) else { return nil }
        return try pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT passwordHash FROM account WHERE address = ?", arguments: [rawAddress.lowercased()])
        }
    }

    // MARK: Aliases

    /// Adds `alias -> target`. The alias must be in a local domain; the
    /// target must be an existing local account, so aliases can never point
    /// mail at a remote domain (that would be relaying without permission).
    public func addAlias(_ rawAlias: String, target rawTarget: String) throws {
        let alias = try Self.canonicalAccountAddress(rawAlias)
        let target = try Self.canonicalAccountAddress(rawTarget)
        try pool.write { db in
            let domain = Self.domainPart(of: alias)
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM domain WHERE name = ?", arguments: [domain]) != nil else {
                throw DirectoryError.domainNotLocal(domain)
            }
            if try Self.accountExists(db, alias) { throw DirectoryError.aliasShadowsAccount(alias) }
            guard try Self.accountExists(db, target) else { throw DirectoryError.accountNotFound(target) }
            if try Row.fetchOne(db, sql: "SELECT 1 FROM alias WHERE address = ? AND target = ?", arguments: [alias, target])
                != nil
            {
                throw DirectoryError.aliasExists(alias, target: target)
            }
            try db.execute(sql: "INSERT INTO alias (address, target) VALUES (?, ?)", arguments: [alias, target])
        }
    }

    /// Removes one target of an alias, or every target when `target` is nil.
    public func removeAlias(_ rawAlias: String, target rawTarget: String? = nil) throws {
        let alias = rawAlias.lowercased()
        try pool.write { db in
            if let target = rawTarget?.lowercased() {
                try db.execute(sql: "DELETE FROM alias WHERE address = ? AND target = ?", arguments: [alias, target])
            } else {
                try db.execute(sql: "DELETE FROM alias WHERE address = ?", arguments: [alias])
            }
            if db.changesCount == 0 { throw DirectoryError.aliasNotFound(alias) }
        }
    }

    public func aliases() throws -> [AliasRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT address, target FROM alias ORDER BY address, target").map {
                AliasRow(address: $0["address"], target: $0["target"])
            }
        }
    }

    // MARK: Helpers

    static func accountExists(_ db: GRDB.Database, _ address: String) throws -> Bool {
        try Row.fetchOne(db, sql: "SELECT 1 FROM account WHERE address = ?", arguments: [address]) != nil
    }

    static func domainPart(of address: String) -> String {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return String(address[address.index(after: at)...])
    }

    /// Whether a stored `local@domain` has a local part that `AccountLocalPart` allows.
    static func isAllowedAccountAddress(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        return AccountLocalPart.isAllowed(address[..<at]) && !address[address.index(after: at)...].isEmpty
    }

    /// An address for an account, an alias or an alias target: a plain
    /// `local@domain` whose local part `AccountLocalPart` allows.
    static func canonicalAccountAddress(_ raw: String) throws -> String {
        let address = try canonicalAddress(raw)
        guard isAllowedAccountAddress(address) else { throw DirectoryError.unsafeLocalPart(raw) }
        return address
    }

    /// Accepts only plain `local@domain` addresses for accounts and aliases.
    static func canonicalAddress(_ raw: String) throws -> String {
        guard let mailbox = try? PathParser.parseMailbox(Substring(raw), allowUTF8: false),
            case .name = mailbox.domain, !mailbox.localPartNeedsQuoting
        else { throw DirectoryError.invalidAddress(raw) }
        return "\(mailbox.localPart.lowercased())@\(mailbox.domain)"
    }

    /// A local domain as stored (lower case), or `invalidDomain`; `sims init`
    /// checks with it before it creates anything.
    public static func canonicalDomain(_ raw: String) throws -> String {
        guard DomainSyntax.isValid(Substring(raw), allowUTF8: false), raw.contains(".") || raw == "localhost" else {
            throw DirectoryError.invalidDomain(raw)
        }
        return raw.lowercased()
    }
}
