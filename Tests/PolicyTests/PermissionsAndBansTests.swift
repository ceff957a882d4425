import Foundation
import Logging
import MailCore
import MailStore
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import Policy

@Suite("A ban ends the sessions already open")
struct OpenSessionsTests {
    final class Ended: Sendable {
        let names = Mutex<[String]>([])
        func end(_ name: String) -> @Sendable () -> Void { { self.names.withLock { $0.append(name) } } }
    }

    final class Token {}

    @Test("Every other session from the address is ended; the asking one and other addresses are not")
    func endAll() {
        let sessions = OpenSessions()
        let ended = Ended()
        let (a, b, c) = (Token(), Token(), Token())
        sessions.open(ObjectIdentifier(a), from: "192.0.2.7", end: ended.end("a"))
        sessions.open(ObjectIdentifier(b), from: "192.0.2.7", end: ended.end("b"))
        sessions.open(ObjectIdentifier(c), from: "192.0.2.8", end: ended.end("c"))
        #expect(sessions.endAll(from: "192.0.2.7", except: ObjectIdentifier(a)) == 1)
        #expect(ended.names.withLock { $0 } == ["b"])
        sessions.close(ObjectIdentifier(b), from: "192.0.2.7")
        sessions.close(ObjectIdentifier(a), from: "192.0.2.7")
        #expect(sessions.count(from: "192.0.2.7") == 0)
        #expect(sessions.count(from: "192.0.2.8") == 1)
    }
}

@Suite("Credential checks: a success does not forgive failures, a ban ends open sessions")
struct CredentialCheckTests {
    final class Token {}

    func withCheck(
        banAfter: Int, _ body: (CredentialCheck, AuthenticationGuard) async throws -> Void
    ) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sims-cred-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = try Directory(path: "\(root)/sims.sqlite")
        try directory.addDomain("example.test")
        try directory.addAccount("alice@example.test", passwordHash: PasswordHasher.hash("right"))
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        var settings = AuthenticationGuard.Settings()
        settings.banAfter = banAfter
        settings.delayAfter = 1000
        settings.lockAfter = 1000
        let guardian = AuthenticationGuard(settings: settings)
        let check = CredentialCheck(
            directory: directory, storage: pool,
            guardian: guardian, verified: VerifiedPasswordCache())
        try await body(check, guardian)
        try await pool.shutdownGracefully()
    }

    @Test("Issue 11: failures interleaved with successful logins still ban the address")
    func successDoesNotReset() async throws {
        try await withCheck(banAfter: 5) { check, guardian in
            let logger = Logger(label: "test")
            var results: [String] = []
            for round in 0..<5 {
                let failure = await check.check(
                    "bob@example.test", "guess-\(round)", from: "192.0.2.7", session: nil, logger: logger)
                results.append("\(failure)")
                if case .banned = failure { break }
                let success = await check.check("alice@example.test", "right", from: "192.0.2.7", session: nil, logger: logger)
                guard case .valid = success else {
                    Issue.record("the right password works until the ban: \(success)")
                    return
                }
            }
            #expect(results.last == "banned", "\(results)")
            #expect(guardian.banned("192.0.2.7") != nil)
        }
    }

    @Test("The failure that bans ends the address's other open sessions")
    func banEndsOpenSessions() async throws {
        try await withCheck(banAfter: 2) { check, guardian in
            let logger = Logger(label: "test")
            let ended = OpenSessionsTests.Ended()
            let (asking, idle, other) = (Token(), Token(), Token())
            guardian.openSessions.open(ObjectIdentifier(asking), from: "192.0.2.7", end: ended.end("asking"))
            guardian.openSessions.open(ObjectIdentifier(idle), from: "192.0.2.7", end: ended.end("idle"))
            guardian.openSessions.open(ObjectIdentifier(other), from: "192.0.2.8", end: ended.end("other"))
            _ = await check.check(
                "alice@example.test", "wrong", from: "192.0.2.7", session: ObjectIdentifier(asking), logger: logger)
            #expect(ended.names.withLock { $0 }.isEmpty)
            let result = await check.check(
                "alice@example.test", "wrong", from: "192.0.2.7", session: ObjectIdentifier(asking), logger: logger)
            guard case .banned = result else {
                Issue.record("the second failure bans: \(result)")
                return
            }
            #expect(ended.names.withLock { $0 } == ["idle"])
        }
    }
}

@Suite("POP-before-SMTP windows close when the account's password changes or it goes")
struct PopBeforeSMTPRevocationTests {
    @Test("A new password or a removed account closes the window at the next lookup")
    func revoked() {
        let stamps = Mutex<[String: String]>(["alice@example.test": "one", "bob@example.test": "b"])
        let table = PopBeforeSMTP(window: .seconds(600), credentialStamp: { account in stamps.withLock { $0[account] } })
        table.recordLogin(of: "alice@example.test", from: "192.0.2.7")
        table.recordLogin(of: "bob@example.test", from: "192.0.2.8")
        #expect(table.permission(for: "192.0.2.7")?.account == "alice@example.test")
        stamps.withLock { $0["alice@example.test"] = "two" }  // sims account passwd
        #expect(table.permission(for: "192.0.2.7") == nil)
        stamps.withLock { $0["alice@example.test"] = "one" }
        #expect(table.permission(for: "192.0.2.7") == nil, "closed for good, not just hidden")
        stamps.withLock { $0["bob@example.test"] = nil }  // sims account remove
        #expect(table.permission(for: "192.0.2.8") == nil)
    }

    @Test("A login of an account that no longer exists opens nothing")
    func goneAccount() {
        let table = PopBeforeSMTP(window: .seconds(600), credentialStamp: { _ in nil })
        table.recordLogin(of: "alice@example.test", from: "192.0.2.7")
        #expect(table.permission(for: "192.0.2.7") == nil)
    }
}
