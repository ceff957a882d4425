import Testing

@testable import SMTPProtocol
@testable import Policy

@Suite("POP-before-SMTP")
struct PopBeforeSMTPTests {
    @Test("A login opens relay for its address only, until the window ends")
    func window() {
        let clock = ManualClock()
        let table = PopBeforeSMTP(window: .seconds(600), clock: clock.read)
        #expect(table.permission(for: "198.51.100.7") == nil)
        table.recordLogin(of: "alice@example.test", from: "198.51.100.7")
        clock.advance(.seconds(192))
        let grant = table.permission(for: "198.51.100.7")
        #expect(grant == RelayPermissionGrant(account: "alice@example.test", address: "198.51.100.7", age: .seconds(192)))
        #expect(table.permission(for: "198.51.100.8") == nil)
        clock.advance(.seconds(408))
        #expect(table.permission(for: "198.51.100.7") == nil, "the window is half-open: exactly 10 minutes later it is closed")
    }

    @Test("A new login restarts the window; the latest account is the one logged")
    func relogin() {
        let clock = ManualClock()
        let table = PopBeforeSMTP(window: .seconds(60), clock: clock.read)
        table.recordLogin(of: "alice@example.test", from: "2001:db8::7")
        clock.advance(.seconds(50))
        table.recordLogin(of: "bob@example.test", from: "2001:db8::7")
        clock.advance(.seconds(50))
        #expect(table.permission(for: "2001:db8:0:0::7")?.account == "bob@example.test")
    }

    @Test("An IPv4 client seen as an IPv4-mapped IPv6 address is the same client")
    func mappedAddresses() {
        let table = PopBeforeSMTP(window: .seconds(60))
        table.recordLogin(of: "alice@example.test", from: "::ffff:192.0.2.1")
        #expect(table.permission(for: "192.0.2.1")?.address == "192.0.2.1")
        #expect(table.permission(for: "not an address") == nil)
    }

    @Test("The table is bounded: a flood of logins forgets expired ones first, then the oldest")
    func bounded() {
        let clock = ManualClock()
        let table = PopBeforeSMTP(window: .seconds(60), capacity: 3, clock: clock.read)
        table.recordLogin(of: "a@example.test", from: "192.0.2.1")
        clock.advance(.seconds(61))
        table.recordLogin(of: "b@example.test", from: "192.0.2.2")
        clock.advance(.seconds(1))
        table.recordLogin(of: "c@example.test", from: "192.0.2.3")
        clock.advance(.seconds(1))
        table.recordLogin(of: "d@example.test", from: "192.0.2.4")  // drops the expired 192.0.2.1
        table.recordLogin(of: "e@example.test", from: "192.0.2.5")  // full of fresh ones: drops 192.0.2.2
        #expect(table.permission(for: "192.0.2.2") == nil)
        #expect(table.permission(for: "192.0.2.3")?.account == "c@example.test")
        #expect(table.permission(for: "192.0.2.5")?.account == "e@example.test")
    }

    @Test("The log names the account, the address and the login's age", arguments: [
        (Duration.seconds(192), "login 3m12s ago"), (.seconds(5), "login 5s ago"), (.seconds(3720), "login 1h2m ago"),
    ])
    func logText(age: Duration, expected: String) {
        let permission = RelayPermission.popBeforeSMTP(account: "alice@example.test", address: "198.51.100.7", loginAge: age)
        #expect(permission.description == "pop-before-smtp alice@example.test from 198.51.100.7, \(expected)")
    }
}
