import GRDB
import MailCore

extension Directory {
    /// Finds where mail for a recipient goes: an account, an alias's
    /// targets, the domain's catch-all, or nowhere.
    ///
    /// Only the domain decides whether an address is local; the local part is
    /// looked up as an opaque string, so `user%remote@local` or
    /// `"user@remote"@local` can only ever match a local account.
    public func resolve(_ path: EnvelopePath) throws -> LocalResolution {
        try pool.read { db in
            switch path {
            case .null:
                return .notLocal
            case .localPostmaster:
                return try Self.anyPostmaster(db).map { .accounts([$0]) } ?? .unknownUser
            case .mailbox(let mailbox):
                guard case .name(let domain) = mailbox.domain else { return .notLocal }
                guard let domainRow = try Row.fetchOne(db, sql: "SELECT catchAll FROM domain WHERE name = ?", arguments: [domain])
                else { return .notLocal }
                let address = "\(mailbox.localPart.lowercased())@\(domain)"
                if try Self.accountExists(db, address) { return .accounts([address]) }
                let targets = try String.fetchAll(db, sql: "SELECT target FROM alias WHERE address = ? ORDER BY target", arguments: [address])
                if !targets.isEmpty { return .accounts(targets) }
                // RFC 5321 § 4.5.1: postmaster must exist for every domain we accept mail for.
                if mailbox.localPart.lowercased() == "postmaster" {
                    return try Self.anyPostmaster(db).map { .accounts([$0]) } ?? .unknownUser
                }
                if let catchAll: String = domainRow["catchAll"] { return .accounts([catchAll]) }
                return .unknownUser
            }
        }
    }

    /// The postmaster of the first local domain that has one.
    private static func anyPostmaster(_ db: GRDB.Database) throws -> String? {
        if let account = try String.fetchOne(db, sql: "SELECT address FROM account WHERE address LIKE 'postmaster@%' ORDER BY domain LIMIT 1") {
            return account
        }
        return try String.fetchOne(db, sql: "SELECT target FROM alias WHERE address LIKE 'postmaster@%' ORDER BY address LIMIT 1")
    }
}
