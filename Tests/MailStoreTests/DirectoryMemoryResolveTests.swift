import Foundation
import MailCore
import MailStore
import Testing

/// The SMTP driver's first look at a recipient, from memory only: it may
/// say "these accounts", never "unknown" or "not local" (those are always
/// confirmed against the database files, so a just-added account is never
/// refused from a stale snapshot).
@Suite("Directory.resolveFromMemory: positive answers only, from the loaded snapshot")
struct DirectoryMemoryResolveTests {
    @Test("Before any load it knows nothing; after a refresh it knows the accounts and aliases")
    func knownAccounts() throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: "x")
            try directory.addAlias("info@example.test", target: "alice@example.test")
            #expect(directory.resolveFromMemory(try rcpt("<alice@example.test>")) == nil)
            try directory.refresh()
            #expect(directory.resolveFromMemory(try rcpt("<ALICE@example.test>")) == .accounts(["alice@example.test"]))
            #expect(directory.resolveFromMemory(try rcpt("<info@example.test>")) == .accounts(["alice@example.test"]))
        }
    }

    @Test("Unknown users and foreign domains are never answered from memory", arguments: ["<nobody@example.test>", "<x@remote.test>", "<x@[192.0.2.1]>"])
    func negativesAreConfirmed(_ path: String) throws {
        try withDirectory { directory throws in
            try directory.addDomain("example.test")
            try directory.refresh()
            #expect(directory.resolveFromMemory(try rcpt(path)) == nil)
            // The blocking lookup gives the real, negative answer.
            #expect(try directory.resolve(try rcpt(path)) != .accounts([]))
        }
    }

    @Test("An account added after the last load is found by the confirming lookup, and then from memory")
    func additionSeenThroughConfirmation() throws {
        try withTemporaryDirectory { root throws in
            let server = try Directory(path: "\(root)/sims.sqlite")
            try server.addDomain("example.test")
            try server.refresh()
            // `sims account add` is another process with its own connection.
            try Directory(path: "\(root)/sims.sqlite").addAccount("new@example.test", passwordHash: "x")
            #expect(server.resolveFromMemory(try rcpt("<new@example.test>")) == nil)
            #expect(try server.resolve(try rcpt("<new@example.test>")) == .accounts(["new@example.test"]))
            #expect(server.resolveFromMemory(try rcpt("<new@example.test>")) == .accounts(["new@example.test"]))
        }
    }

    @Test("A removed account leaves the memory answer at the next refresh")
    func removalSeenAfterRefresh() throws {
        try withTemporaryDirectory { root throws in
            let server = try Directory(path: "\(root)/sims.sqlite")
            try server.addDomain("example.test")
            try server.addAccount("old@example.test", passwordHash: "x")
            try server.refresh()
            try Directory(path: "\(root)/sims.sqlite").removeAccount("old@example.test")
            try server.refresh()
            #expect(server.resolveFromMemory(try rcpt("<old@example.test>")) == nil)
        }
    }
}
