import Foundation
import MailCore
import MailStore
import Testing

/// The server and the `sims` command open the same sims.sqlite. A change the
/// command makes must be seen by the server's very next RCPT, without a
/// restart and without waiting for the snapshot's maximum age (2 s).
@Suite("Directory: changes made by another Directory are seen at once")
struct DirectoryLiveChangeTests {
    /// Applies `change` through `cli`, then asks `server` about `path`, which
    /// must already answer `expected`. Returns a description of a miss.
    static func check(
        _ step: String, server: Directory, path: String, expected: LocalResolution, change: () throws -> Void
    ) throws -> String? {
        try change()
        let actual = try server.resolve(rcpt(path))
        return actual == expected ? nil : "\(step): \(path) resolved to \(actual), expected \(expected)"
    }

    /// One round of every kind of change, each checked right away.
    static func round(_ index: Int, server: Directory, cli: () throws -> Directory) throws -> [String] {
        let user = "u\(index)@example.test"
        let alias = "a\(index)@example.test"
        let domain = "d\(index).test"
        var misses: [String?] = []
        // Warm the server's snapshot so that only a change can make it reload.
        _ = try server.resolve(rcpt("<\(user)>"))
        misses.append(
            try check("add account", server: server, path: "<\(user)>", expected: .accounts([user])) {
                try cli().addAccount(user, passwordHash: "x")
            })
        misses.append(
            try check("add alias", server: server, path: "<\(alias)>", expected: .accounts([user])) {
                try cli().addAlias(alias, target: user)
            })
        misses.append(
            try check("set catch-all", server: server, path: "<nobody\(index)@example.test>", expected: .accounts([user])) {
                try cli().setCatchAll(domain: "example.test", target: user)
            })
        misses.append(
            try check("clear catch-all", server: server, path: "<nobody\(index)@example.test>", expected: .unknownUser) {
                try cli().setCatchAll(domain: "example.test", target: nil)
            })
        misses.append(
            try check("remove alias", server: server, path: "<\(alias)>", expected: .unknownUser) {
                try cli().removeAlias(alias)
            })
        misses.append(
            try check("remove account", server: server, path: "<\(user)>", expected: .unknownUser) {
                try cli().removeAccount(user)
            })
        misses.append(
            try check("add domain", server: server, path: "<x@\(domain)>", expected: .unknownUser) {
                try cli().addDomain(domain)
            })
        misses.append(
            try check("remove domain", server: server, path: "<x@\(domain)>", expected: .notLocal) {
                try cli().removeDomain(domain)
            })
        return misses.compactMap { $0 }
    }

    @Test("A second Directory that stays open (50 rounds of quick changes)")
    func secondInstanceStaysOpen() throws {
        try withTemporaryDirectory { root throws in
            let server = try Directory(path: "\(root)/sims.sqlite")
            let cli = try Directory(path: "\(root)/sims.sqlite")
            try cli.addDomain("example.test")
            var misses: [String] = []
            for index in 0..<50 {
                misses += try Self.round(index, server: server, cli: { cli })
            }
            let missed = misses.count
            #expect(missed == 0, "first misses: \(misses.prefix(3))")
        }
    }

    @Test("A fresh Directory per change, as each `sims` command opens and closes the file (20 rounds)")
    func freshInstancePerChange() throws {
        try withTemporaryDirectory { root throws in
            let path = "\(root)/sims.sqlite"
            let server = try Directory(path: path)
            try Directory(path: path).addDomain("example.test")
            var misses: [String] = []
            for index in 0..<20 {
                misses += try Self.round(index, server: server, cli: { try Directory(path: path) })
            }
            let missed = misses.count
            #expect(missed == 0, "first misses: \(misses.prefix(3))")
        }
    }
}
