import Foundation
import MailCore
import Testing

@testable import MailStore

@Suite("Directory: domains")
struct DirectoryDomainTests {
    @Test("Added domains are listed lower-cased and sorted, without a catch-all")
    func addAndList() throws {
        try withDirectory { directory throws in
            try directory.addDomain("Example.TEST")
            try directory.addDomain("another.test")
            try directory.addDomain("localhost")
            #expect(
                try directory.domains() == [
                    DomainRow(name: "another.test", catchAll: nil),
                    DomainRow(name: "example.test", catchAll: nil),
                    DomainRow(name: "localhost", catchAll: nil),
                ])
        }
    }

    @Test(
        "Invalid domain names are refused and nothing is stored",
        arguments: [
            "", "example", "-bad.test", "bad-.test", "bad..test", ".bad.test", "bad.test.", "exa mple.test",
            "under_score.test", "[192.0.2.1]", "user@example.test", "ex%ample.test", "bücher.test",
            String(repeating: "a", count: 64) + ".test",
        ])
    func invalidNames(_ name: String) throws {
        try withDirectory { directory throws in
            #expect(throws: DirectoryError.invalidDomain(name)) { try directory.addDomain(name) }
            #expect(try directory.domains().isEmpty)
        }
    }

    @Test("A domain cannot be added twice, whatever the case")
    func duplicate() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            #expect(throws: DirectoryError.domainExists("example.test")) { try directory.addDomain("example.test") }
            #expect(throws: DirectoryError.domainExists("example.test")) { try directory.addDomain("EXAMPLE.Test") }
            #expect(try directory.domains().map(\.name) == ["example.test"])
        }
    }

    @Test("Removing a domain, in any case; removing an unknown one is an error")
    func remove() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addDomain("other.test")
            try directory.removeDomain("Example.TEST")
            #expect(try directory.domains().map(\.name) == ["other.test"])
            #expect(try directory.resolve(rcpt("<a@example.test>")) == .notLocal)
            #expect(throws: DirectoryError.domainNotFound("example.test")) { try directory.removeDomain("example.test") }
            #expect(throws: DirectoryError.domainNotFound("nowhere.test")) { try directory.removeDomain("nowhere.test") }
        }
    }

    @Test("A domain that still has accounts cannot be removed, and stays fully working")
    func removeInUse() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: "x")
            try directory.addAccount("bob@example.test", passwordHash: "x")
            #expect(throws: DirectoryError.domainInUse("example.test", accounts: 2)) {
                try directory.removeDomain("example.test")
            }
            #expect(try directory.domains().map(\.name) == ["example.test"])
            #expect(try directory.resolve(rcpt("<alice@example.test>")) == .accounts(["alice@example.test"]))
            try directory.removeAccount("alice@example.test")
            try directory.removeAccount("bob@example.test")
            try directory.removeDomain("example.test")
            #expect(try directory.domains().isEmpty)
        }
    }

    @Test("Removing a domain removes its aliases, so re-adding it does not bring them back")
    func removeDomainRemovesAliases() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addDomain("lists.test")
            try directory.addAccount("bob@example.test", passwordHash: "x")
            try directory.addAlias("info@lists.test", target: "bob@example.test")
            try directory.addAlias("bob-alias@example.test", target: "bob@example.test")
            try directory.removeDomain("lists.test")
            #expect(try directory.aliases() == [AliasRow(address: "bob-alias@example.test", target: "bob@example.test")])
            try directory.addDomain("lists.test")
            #expect(try directory.resolve(rcpt("<info@lists.test>")) == .unknownUser)
        }
    }
}

@Suite("Directory: accounts")
struct DirectoryAccountTests {
    @Test("Accounts are stored lower-cased and listed by domain, then address")
    func addAndList() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addDomain("another.test")
            try directory.addAccount("Zed@Example.TEST", passwordHash: "h1")
            try directory.addAccount("ALICE@example.test", passwordHash: "h2")
            try directory.addAccount("bob@another.test", passwordHash: "h3")
            #expect(try directory.accounts() == ["bob@another.test", "alice@example.test", "zed@example.test"])
            #expect(try directory.passwordHash(for: "Alice@EXAMPLE.test") == "h2")
            #expect(try directory.passwordHash(for: "nobody@example.test") == nil)
        }
    }

    @Test("An account's domain must be a local domain")
    func domainMustBeLocal() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            #expect(throws: DirectoryError.domainNotLocal("remote.test")) {
                try directory.addAccount("alice@remote.test", passwordHash: "x")
            }
            #expect(throws: DirectoryError.domainNotLocal("sub.example.test")) {
                try directory.addAccount("alice@sub.example.test", passwordHash: "x")
            }
            #expect(try directory.accounts().isEmpty)
        }
    }

    @Test("An account cannot be added twice, whatever the case")
    func duplicate() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: "first")
            #expect(throws: DirectoryError.accountExists("alice@example.test")) {
                try directory.addAccount("Alice@Example.Test", passwordHash: "second")
            }
            #expect(try directory.passwordHash(for: "alice@example.test") == "first")
        }
    }

    @Test(
        "Addresses that are not a plain user@domain are refused",
        arguments: [
            "a@b@c", "\"x y\"@example.test", "user@[1.2.3.4]", "user@[IPv6:::1]", "user", "@example.test", "user@",
            "user@example.test.", ".user@example.test", "us..er@example.test", "user.@example.test",
            "<user@example.test>", "user @example.test", "üser@example.test", "user@exämple.test",
            "\"user@remote.test\"@example.test", "",
        ])
    func invalidAddresses(_ address: String) throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            #expect(throws: DirectoryError.invalidAddress(address)) { try directory.addAccount(address, passwordHash: "x") }
            #expect(try directory.accounts().isEmpty)
        }
    }

    @Test("An account cannot take the address of an alias, which would silently stop the alias working")
    func cannotShadowAlias() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: "x")
            try directory.addAlias("info@example.test", target: "alice@example.test")
            #expect(throws: DirectoryError.self) { try directory.addAccount("Info@example.test", passwordHash: "x") }
            #expect(try directory.resolve(rcpt("<info@example.test>")) == .accounts(["alice@example.test"]))
        }
    }

    @Test("Removing an account, in any case; removing an unknown one is an error")
    func remove() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: "x")
            try directory.addAccount("bob@example.test", passwordHash: "x")
            try directory.removeAccount("ALICE@example.test")
            #expect(try directory.accounts() == ["bob@example.test"])
            #expect(try directory.resolve(rcpt("<alice@example.test>")) == .unknownUser)
            #expect(throws: DirectoryError.accountNotFound("alice@example.test")) {
                try directory.removeAccount("alice@example.test")
            }
        }
    }

    @Test("Changing a password hash replaces it; an unknown account is an error")
    func setPasswordHash() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: "old")
            try directory.setPasswordHash("Alice@example.test", passwordHash: "new")
            #expect(try directory.passwordHash(for: "alice@example.test") == "new")
            #expect(throws: DirectoryError.accountNotFound("bob@example.test")) {
                try directory.setPasswordHash("bob@example.test", passwordHash: "x")
            }
        }
    }
}

@Suite("Directory: aliases")
struct DirectoryAliasTests {
    /// example.test with accounts alice and bob; remote.test is not local.
    func withAccounts(_ body: (Directory) throws -> Void) throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: "x")
            try directory.addAccount("bob@example.test", passwordHash: "x")
            try body(directory)
        }
    }

    @Test("An alias delivers to its target; addresses are stored lower-cased")
    func addAlias() throws {
        try withAccounts { directory throws in
            try directory.addAlias("Info@Example.TEST", target: "ALICE@example.test")
            #expect(try directory.aliases() == [AliasRow(address: "info@example.test", target: "alice@example.test")])
            #expect(try directory.resolve(rcpt("<info@example.test>")) == .accounts(["alice@example.test"]))
        }
    }

    @Test("The target must be an existing local account, never a remote address")
    func targetMustExist() throws {
        try withAccounts { directory throws in
            #expect(throws: DirectoryError.accountNotFound("carol@example.test")) {
                try directory.addAlias("info@example.test", target: "carol@example.test")
            }
            #expect(throws: DirectoryError.accountNotFound("bob@remote.test")) {
                try directory.addAlias("info@example.test", target: "bob@remote.test")
            }
            #expect(throws: DirectoryError.invalidAddress("bob%remote.test")) {
                try directory.addAlias("info@example.test", target: "bob%remote.test")
            }
            #expect(try directory.aliases().isEmpty)
            #expect(try directory.resolve(rcpt("<info@example.test>")) == .unknownUser)
        }
    }

    @Test("An alias must be in a local domain and be a valid address")
    func aliasMustBeLocal() throws {
        try withAccounts { directory throws in
            #expect(throws: DirectoryError.domainNotLocal("remote.test")) {
                try directory.addAlias("info@remote.test", target: "alice@example.test")
            }
            #expect(throws: DirectoryError.invalidAddress("a@b@example.test")) {
                try directory.addAlias("a@b@example.test", target: "alice@example.test")
            }
            #expect(try directory.aliases().isEmpty)
        }
    }

    @Test("An alias cannot have the address of an account")
    func cannotShadowAccount() throws {
        try withAccounts { directory throws in
            #expect(throws: DirectoryError.aliasShadowsAccount("alice@example.test")) {
                try directory.addAlias("Alice@Example.test", target: "bob@example.test")
            }
            #expect(try directory.aliases().isEmpty)
            #expect(try directory.resolve(rcpt("<alice@example.test>")) == .accounts(["alice@example.test"]))
        }
    }

    @Test("An alias can have several targets; the same target twice is refused")
    func multipleTargets() throws {
        try withAccounts { directory throws in
            try directory.addAlias("team@example.test", target: "bob@example.test")
            try directory.addAlias("team@example.test", target: "alice@example.test")
            #expect(throws: DirectoryError.aliasExists("team@example.test", target: "bob@example.test")) {
                try directory.addAlias("TEAM@example.test", target: "Bob@example.test")
            }
            #expect(
                try directory.aliases() == [
                    AliasRow(address: "team@example.test", target: "alice@example.test"),
                    AliasRow(address: "team@example.test", target: "bob@example.test"),
                ])
            #expect(try directory.resolve(rcpt("<team@example.test>")) == .accounts(["alice@example.test", "bob@example.test"]))
        }
    }

    @Test("Removing one target keeps the others; removing without a target removes the alias")
    func removeTargets() throws {
        try withAccounts { directory throws in
            try directory.addAlias("team@example.test", target: "alice@example.test")
            try directory.addAlias("team@example.test", target: "bob@example.test")
            try directory.addAlias("sales@example.test", target: "bob@example.test")
            try directory.removeAlias("Team@example.test", target: "ALICE@example.test")
            #expect(try directory.resolve(rcpt("<team@example.test>")) == .accounts(["bob@example.test"]))
            try directory.addAlias("team@example.test", target: "alice@example.test")
            try directory.removeAlias("team@example.test")
            #expect(try directory.resolve(rcpt("<team@example.test>")) == .unknownUser)
            #expect(try directory.aliases() == [AliasRow(address: "sales@example.test", target: "bob@example.test")])
            #expect(throws: DirectoryError.aliasNotFound("team@example.test")) { try directory.removeAlias("team@example.test") }
            #expect(throws: DirectoryError.aliasNotFound("sales@example.test")) {
                try directory.removeAlias("sales@example.test", target: "alice@example.test")
            }
        }
    }

    @Test("Removing an account removes it from every alias")
    func removeAccountRemovesAliasTargets() throws {
        try withAccounts { directory throws in
            try directory.addAlias("team@example.test", target: "alice@example.test")
            try directory.addAlias("team@example.test", target: "bob@example.test")
            try directory.addAlias("alice-old@example.test", target: "alice@example.test")
            try directory.removeAccount("alice@example.test")
            #expect(try directory.aliases() == [AliasRow(address: "team@example.test", target: "bob@example.test")])
            #expect(try directory.resolve(rcpt("<team@example.test>")) == .accounts(["bob@example.test"]))
            #expect(try directory.resolve(rcpt("<alice-old@example.test>")) == .unknownUser)
        }
    }
}

@Suite("Directory: catch-all")
struct DirectoryCatchAllTests {
    @Test("Setting and clearing a domain's catch-all")
    func setAndClear() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: "x")
            try directory.setCatchAll(domain: "Example.TEST", target: "Alice@example.test")
            #expect(try directory.domains() == [DomainRow(name: "example.test", catchAll: "alice@example.test")])
            #expect(try directory.resolve(rcpt("<anyone@example.test>")) == .accounts(["alice@example.test"]))
            try directory.setCatchAll(domain: "example.test", target: nil)
            #expect(try directory.domains() == [DomainRow(name: "example.test", catchAll: nil)])
            #expect(try directory.resolve(rcpt("<anyone@example.test>")) == .unknownUser)
        }
    }

    @Test("The catch-all must be an existing account of an existing domain")
    func targetMustExist() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: "x")
            #expect(throws: DirectoryError.accountNotFound("bob@example.test")) {
                try directory.setCatchAll(domain: "example.test", target: "bob@example.test")
            }
            #expect(throws: DirectoryError.accountNotFound("bob@remote.test")) {
                try directory.setCatchAll(domain: "example.test", target: "bob@remote.test")
            }
            #expect(throws: DirectoryError.domainNotFound("other.test")) {
                try directory.setCatchAll(domain: "other.test", target: "alice@example.test")
            }
            #expect(try directory.domains() == [DomainRow(name: "example.test", catchAll: nil)])
        }
    }

    @Test("Removing the catch-all account clears the catch-all")
    func removedWithAccount() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addDomain("other.test")
            try directory.addAccount("alice@example.test", passwordHash: "x")
            try directory.setCatchAll(domain: "example.test", target: "alice@example.test")
            try directory.setCatchAll(domain: "other.test", target: "alice@example.test")
            try directory.removeAccount("alice@example.test")
            #expect(
                try directory.domains() == [
                    DomainRow(name: "example.test", catchAll: nil), DomainRow(name: "other.test", catchAll: nil),
                ])
            #expect(try directory.resolve(rcpt("<anyone@example.test>")) == .unknownUser)
            #expect(try directory.resolve(rcpt("<anyone@other.test>")) == .unknownUser)
        }
    }
}

@Suite("Directory: senders an account may use")
struct SenderPatternTests {
    @Test("Address, aliases and added patterns; bad patterns refused; removed with the account")
    func patterns() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sims-senders-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let directory = try Directory(path: path)
        try directory.addDomain("example.test")
        try directory.addAccount("alice@example.test", passwordHash: "x")
        try directory.addAlias("sales@example.test", target: "alice@example.test")
        #expect(try directory.ownedAddresses(of: "Alice@example.test") == ["alice@example.test", "sales@example.test"])
        try directory.addSenderPattern("alice@example.test", pattern: "*@Example.TEST")
        try directory.addSenderPattern("alice@example.test", pattern: "boss@other.test")
        #expect(try directory.senderPatterns(of: "alice@example.test") == ["*@example.test", "boss@other.test"])
        for bad in ["*@", "a@b@c", "*.example.test", "*@-bad-.test"] {
            #expect(throws: DirectoryError.self) { try directory.addSenderPattern("alice@example.test", pattern: bad) }
        }
        #expect(throws: DirectoryError.self) { try directory.addSenderPattern("nobody@example.test", pattern: "*") }
        try directory.removeAccount("alice@example.test")
        try directory.addAccount("alice@example.test", passwordHash: "x")
        #expect(try directory.senderPatterns(of: "alice@example.test").isEmpty, "patterns go with the account")
    }
}
