import Foundation
import Logging
import MailCore
import MailStore
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import Server

@Suite("Client addresses are normalized once, at accept (issue 11)")
struct ClientAddressTests {
    @Test(
        "IPv4-mapped IPv6 is the IPv4 client; IPv6 has one text form",
        arguments: [
            ("::ffff:127.0.0.77", "127.0.0.77"), ("::FFFF:7f00:4d", "127.0.0.77"), ("127.0.0.77", "127.0.0.77"),
            ("2001:DB8:0:0::1", "2001:db8::1"), ("2001:db8::0001", "2001:db8::1"), ("fe80::1%eth0", "fe80::1"),
            ("::1", "::1"),
        ])
    func normalized(_ raw: String, _ expected: String) {
        #expect(ClientAddress.normalized(raw) == expected)
    }

    @Test("From the socket address of an IPv4 client on a dual-stack listener")
    func socketAddress() throws {
        let mapped = try SocketAddress(ipAddress: "::ffff:127.0.0.77", port: 40000)
        #expect(ClientAddress.normalized(mapped) == "127.0.0.77")
        #expect(ClientAddress.normalized(nil as SocketAddress?) == "unknown")
    }

    @Test("A ban on 127.0.0.77 holds for ::ffff:127.0.0.77, and both count as one for connections_per_ip")
    func oneClientWhateverTheSpelling() {
        let guardian = AuthenticationGuard(
            settings: {
                var settings = AuthenticationGuard.Settings()
                settings.banAfter = 2
                return settings
            }())
        _ = guardian.failed(address: ClientAddress.normalized("127.0.0.77"), account: "a")
        _ = guardian.failed(address: ClientAddress.normalized("::ffff:127.0.0.77"), account: "b")
        #expect(guardian.banned(ClientAddress.normalized("::ffff:127.0.0.77")) != nil)
        #expect(guardian.banned("127.0.0.77") != nil)
        let limiter = ConnectionLimiter(maximumTotal: 10, maximumPerAddress: 1)
        #expect(limiter.admit(ClientAddress.normalized("127.0.0.77")) == .admitted)
        #expect(limiter.admit(ClientAddress.normalized("::ffff:127.0.0.77")) == .tooManyFromAddress)
    }
}

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
            directory: directory, delivery: LocalDelivery(writer: MaildirWriter(mailRoot: root, hostname: "h"), threadPool: pool),
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

@Suite("config check warns about client networks that are too wide")
struct ClientNetworkWidthTests {
    func warnings(_ networks: [String]) -> [String] {
        var configuration = ServerConfiguration()
        configuration.clientNetworks = networks.compactMap(IPAddressRange.init)
        #expect(configuration.clientNetworks.count == networks.count, "\(networks) must parse")
        return ConfigurationWarnings.check(configuration)
    }

    @Test("Issue 11: IPv6 ranges that cover IPv4-mapped space", arguments: ["::/80", "::/64", "::/1", "::/72"])
    func mapped(_ network: String) {
        let found = warnings([network])
        #expect(found.contains { $0.contains("IPv4-mapped") && $0.contains(network) }, "\(found)")
    }

    @Test(
        "Public ranges wider than an IPv4 /16 or an IPv6 /48",
        arguments: ["0.0.0.0/1", "8.0.0.0/15", "2001:db8::/32", "2000::/3"])
    func wide(_ network: String) {
        let found = warnings([network])
        #expect(found.contains { $0.contains("wider than") && $0.contains(network) }, "\(found)")
    }

    @Test(
        "Ordinary entries get no such warning",
        arguments: [
            "8.8.8.0/24", "198.51.0.0/16", "2001:db8:1::/48", "10.0.0.0/8", "fd00::/8", "192.0.2.7", "::1", "::ffff:192.0.2.7",
        ])
    func ordinary(_ network: String) {
        let found = warnings([network])
        #expect(!found.contains { $0.contains("IPv4-mapped") || $0.contains("wider than") }, "\(found)")
    }

    @Test("doctor grades them: mapped space is critical, a wide public range a warning")
    func doctorFindings() {
        let mapped = ConfigurationCheck.finding(for: warnings(["::/80"]).first ?? "")
        #expect(mapped.id == "config.client-networks-mapped")
        #expect(mapped.severity == .critical)
        let wide = ConfigurationCheck.finding(for: warnings(["2000::/3"]).first ?? "")
        #expect(wide.id == "config.client-networks-wide")
    }
}
