import Foundation
import MailCore
import MailStore
import Testing

@Suite("Directory.resolve: where mail for a recipient goes")
struct DirectoryResolveTests {
    /// example.test: alice, bob, postmaster, alias info → alice + bob.
    /// other.test: carol, no postmaster. remote.test is not local.
    func withSite(_ body: (Directory) throws -> Void) throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addDomain("other.test")
            for account in ["alice@example.test", "bob@example.test", "postmaster@example.test", "carol@other.test"] {
                try directory.addAccount(account, passwordHash: "x")
            }
            try directory.addAlias("info@example.test", target: "alice@example.test")
            try directory.addAlias("info@example.test", target: "bob@example.test")
            try body(directory)
        }
    }

    @Test(
        "An account resolves to itself, whatever the case of the local part and domain",
        arguments: [
            "<alice@example.test>", "<ALICE@example.test>", "<Alice@Example.TEST>", "<@relay.test:alice@example.test>",
            "<\"alice\"@example.test>",
        ])
    func account(_ path: String) throws {
        try withSite { directory throws in
            #expect(try directory.resolve(rcpt(path)) == .accounts(["alice@example.test"]))
        }
    }

    @Test("An alias resolves to all of its targets")
    func alias() throws {
        try withSite { directory throws in
            #expect(try directory.resolve(rcpt("<INFO@example.test>")) == .accounts(["alice@example.test", "bob@example.test"]))
        }
    }

    @Test("An unknown user of a local domain is unknownUser, and only the catch-all changes that")
    func unknownUserAndCatchAll() throws {
        try withSite { directory throws in
            #expect(try directory.resolve(rcpt("<nobody@example.test>")) == .unknownUser)
            #expect(try directory.resolve(rcpt("<nobody@other.test>")) == .unknownUser)
            try directory.setCatchAll(domain: "other.test", target: "carol@other.test")
            #expect(try directory.resolve(rcpt("<nobody@other.test>")) == .accounts(["carol@other.test"]))
            // The catch-all of one domain does not leak into another,
            #expect(try directory.resolve(rcpt("<nobody@example.test>")) == .unknownUser)
            // and never takes mail away from an account or an alias.
            try directory.setCatchAll(domain: "example.test", target: "bob@example.test")
            #expect(try directory.resolve(rcpt("<alice@example.test>")) == .accounts(["alice@example.test"]))
            #expect(try directory.resolve(rcpt("<info@example.test>")) == .accounts(["alice@example.test", "bob@example.test"]))
        }
    }

    @Test(
        "Postmaster, in any case, with or without a domain, reaches the postmaster account",
        arguments: [
            "<Postmaster>", "<postmaster>", "<POSTMASTER>", "<postmaster@example.test>", "<PostMaster@EXAMPLE.test>",
            // other.test has no postmaster account: RFC 5321 § 4.5.1 still requires one.
            "<postmaster@other.test>", "<POSTMASTER@other.test>",
        ])
    func postmaster(_ path: String) throws {
        try withSite { directory throws in
            #expect(try directory.resolve(rcpt(path)) == .accounts(["postmaster@example.test"]))
        }
    }

    @Test("Postmaster of a domain with its own postmaster account goes to that account")
    func postmasterOfEachDomain() throws {
        try withSite { directory throws in
            try directory.addAccount("postmaster@other.test", passwordHash: "x")
            #expect(try directory.resolve(rcpt("<postmaster@other.test>")) == .accounts(["postmaster@other.test"]))
            #expect(try directory.resolve(rcpt("<postmaster@example.test>")) == .accounts(["postmaster@example.test"]))
        }
    }

    @Test("A postmaster alias is used when there is no postmaster account")
    func postmasterAlias() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: "x")
            #expect(try directory.resolve(.localPostmaster) == .unknownUser)
            try directory.addAlias("postmaster@example.test", target: "alice@example.test")
            #expect(try directory.resolve(.localPostmaster) == .accounts(["alice@example.test"]))
            #expect(try directory.resolve(rcpt("<Postmaster@example.test>")) == .accounts(["alice@example.test"]))
        }
    }

    @Test(
        "A domain that is not local is notLocal, even when its user exists elsewhere",
        arguments: [
            "<alice@remote.test>", "<postmaster@remote.test>", "<alice@sub.example.test>", "<alice@example.test.remote.test>",
        ])
    func notLocal(_ path: String) throws {
        try withSite { directory throws in
            #expect(try directory.resolve(rcpt(path)) == .notLocal)
        }
    }

    @Test(
        "An address literal is never local",
        arguments: [
            "<alice@[127.0.0.1]>", "<postmaster@[192.0.2.1]>", "<alice@[IPv6:::1]>",
        ])
    func addressLiteral(_ path: String) throws {
        try withSite { directory throws in
            #expect(try directory.resolve(rcpt(path)) == .notLocal)
        }
    }

    @Test("The null path is not a local recipient")
    func nullPath() throws {
        try withSite { directory throws in
            #expect(try directory.resolve(.null) == .notLocal)
        }
    }

    @Test(
        "Routing tricks in the local part stay local and unknown: never relayed, never an account",
        arguments: [
            "<alice%remote.test@example.test>", "<\"alice@remote.test\"@example.test>", "<alice!remote.test@example.test>",
            "<remote.test!alice@example.test>", "<\"carol@other.test\"@example.test>", "<carol%other.test@example.test>",
            "<\"alice@example.test\"@example.test>", "<\"alice\\@example.test\"@example.test>",
        ])
    func routingTricks(_ path: String) throws {
        try withSite { directory throws in
            #expect(try directory.resolve(rcpt(path)) == .unknownUser)
        }
    }
}
