import Foundation
import GRDB
import MailCore
import Testing

@testable import MailStore

/// Issue 11: `bob/x@…` and `bob//x@…` were two accounts with one Maildir,
/// and `*` in an account or alias name let its owner send as anyone.
@Suite("Account names: safe local parts, one Maildir each, no patterns")
struct AccountNameTests {
    static let hash = "stored-hash"

    @Test(
        "Accounts, aliases and catch-all targets with unsafe local parts are refused",
        arguments: ["bob/x", "bob//x", "*", "bob*", ".bob", "..", "bo..b", "bob+tag", "bob%remote"])
    func unsafeNamesRefused(_ local: String) throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: Self.hash)
            #expect(throws: DirectoryError.self) { try directory.addAccount("\(local)@example.test", passwordHash: Self.hash) }
            #expect(throws: DirectoryError.self) { try directory.addAlias("\(local)@example.test", target: "alice@example.test") }
            #expect(try directory.accounts() == ["alice@example.test"])
            #expect(try directory.aliases().isEmpty)
        }
    }

    @Test("The refusal names the rule")
    func refusalExplains() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            do {
                try directory.addAccount("bob/x@example.test", passwordHash: Self.hash)
                Issue.record("bob/x must be refused")
            } catch let error as DirectoryError {
                #expect(error == .unsafeLocalPart("bob/x@example.test"))
                #expect(error.description.contains("letters, digits"))
            }
        }
    }

    @Test("An alias named like a pattern, left in an old database, owns only itself")
    func aliasIsNeverAPattern() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: Self.hash)
            try directory.pool.write { db in
                try db.execute(sql: "INSERT INTO alias (address, target) VALUES ('*@example.test', 'alice@example.test')")
                try db.execute(sql: "INSERT INTO alias (address, target) VALUES ('*', 'alice@example.test')")
            }
            let owned = try directory.ownedAddresses(of: "alice@example.test")
            #expect(owned == SenderOwnership(addresses: ["alice@example.test"]))
            #expect(!owned.owns(Mailbox(localPart: "ceo", domain: .name("example.test"))))
            #expect(try directory.unusableEntries() == ["alias *", "alias *@example.test"])
        }
    }

    @Test("Sender patterns are granted only through `account senders`, and never contain * elsewhere")
    func explicitPatterns() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: Self.hash)
            try directory.addSenderPattern("alice@example.test", pattern: "*@example.test")
            #expect(throws: DirectoryError.self) {
                try directory.addSenderPattern("alice@example.test", pattern: "a*@other.test")
            }
            let owned = try directory.ownedAddresses(of: "alice@example.test")
            #expect(owned.domains == ["example.test"])
            #expect(owned.addresses == ["alice@example.test"])
            #expect(!owned.anyAddress)
        }
    }

    @Test("Accounts with unsafe names from an old database are unusable: no mail, no login, listed for the operator")
    func oldDatabaseEntriesAreUnusable() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: Self.hash)
            try directory.pool.write { db in
                for name in ["bob/x@example.test", "bob//x@example.test"] {
                    try db.execute(
                        sql: "INSERT INTO account (address, domain, passwordHash, created) VALUES (?, 'example.test', ?, ?)",
                        arguments: [name, Self.hash, Date()])
                }
                try db.execute(sql: "INSERT INTO alias (address, target) VALUES ('x@example.test', 'bob/x@example.test')")
                try db.execute(sql: "UPDATE domain SET catchAll = 'bob/x@example.test'")
            }
            #expect(try directory.passwordHash(for: "bob/x@example.test") == nil)
            #expect(try directory.passwordHash(for: "alice@example.test") != nil)
            #expect(try directory.resolve(rcpt("<x@example.test>")) == .unknownUser, "alias to an unusable account")
            #expect(try directory.resolve(rcpt("<nobody@example.test>")) == .unknownUser, "catch-all to an unusable account")
            #expect(try directory.credentialStamp(of: "bob/x@example.test") == nil)
            #expect(try directory.unusableEntries() == ["account bob//x@example.test", "account bob/x@example.test"])
            // The operator can still remove them.
            try directory.removeAccount("bob/x@example.test")
            try directory.removeAccount("bob//x@example.test")
            #expect(try directory.unusableEntries().isEmpty)
        }
    }

    @Test("The credential stamp changes with the password and goes with the account")
    func credentialStamp() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: "stored-hash-one")
            let first = try #require(try directory.credentialStamp(of: "Alice@example.test"))
            try directory.setPasswordHash("alice@example.test", passwordHash: "stored-hash-two")
            let second = try #require(try directory.credentialStamp(of: "alice@example.test"))
            #expect(first != second)
            #expect(directory.loadedCredentialStamp(of: "alice@example.test") == second, "memory only, as last loaded")
            try directory.removeAccount("alice@example.test")
            #expect(try directory.credentialStamp(of: "alice@example.test") == nil)
        }
    }
}

@Suite("Maildir paths are injective")
struct MaildirPathTests {
    @Test("Names that used to collapse into one directory get different Maildirs")
    func noSharedMaildir() {
        let writer = MaildirWriter(mailRoot: "/m", hostname: "mx.example.test")
        let names = [
            "bob/x@example.test", "bob//x@example.test", "bob@example.test", "bob%2fx@example.test", "..@example.test",
            ".@example.test", "@example.test", "bob@", "bob", "bob@example.test/..", "%@example.test", "%62@example.test",
        ]
        let paths = names.map(writer.maildirPath(for:))
        #expect(Set(paths).count == names.count, "\(paths)")
        for path in paths {
            let components = path.dropFirst("/m/".count).split(separator: "/", omittingEmptySubsequences: false)
            #expect(components.count == 3, "\(path)")
            #expect(components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }, "\(path)")
        }
        #expect(writer.maildirPath(for: "alice@example.test") == "/m/example.test/alice/Maildir", "safe names are unchanged")
    }
}
