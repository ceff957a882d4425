import MailCore
import Testing

@testable import Configuration

@Suite("DurationText")
struct DurationTextTests {
    @Test(
        "Durations with a unit, or a bare number of seconds",
        arguments: [
            ("30s", Duration.seconds(30)), ("5m", Duration.seconds(300)), ("1h", Duration.seconds(3600)), ("250ms", .milliseconds(250)),
            ("10", .seconds(10)), ("0", .zero), ("0s", .zero), (" 5m ", Duration.seconds(300)), ("90s", .seconds(90)),
            ("1500ms", .milliseconds(1500)),
        ])
    func parse(_ text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(
        "Anything else is refused",
        arguments: [
            "5x", "-1s", "-1", "", "s", "ms", "m", "1.5s", "5 m", "5M", "5S", "five", "5sec", "5mm", "1h30m", "+-5s",
        ])
    func refused(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test(
        "Duration.exactText writes the largest exact unit, which the parser reads back",
        arguments: [
            (Duration.seconds(30), "30s"), (Duration.seconds(300), "5m"), (Duration.seconds(3600), "1h"), (Duration.milliseconds(250), "250ms"),
            (Duration.seconds(90), "90s"), (Duration.zero, "0s"), (Duration.milliseconds(1500), "1500ms"), (Duration.seconds(5400), "90m"),
            (Duration.seconds(172800), "2d"),
        ])
    func format(_ amount: Duration, expected: String) {
        #expect(amount.exactText == expected)
        #expect(DurationText.parse(expected) == amount)
    }
}

@Suite("ListenAddress")
struct ListenAddressTests {
    @Test(
        "address:port and [IPv6]:port are parsed and printed back the same way",
        arguments: [
            ("127.0.0.1:2525", "127.0.0.1", 2525), ("0.0.0.0:25", "0.0.0.0", 25), ("[::1]:2525", "::1", 2525),
            ("[::]:25", "::", 25), ("[2001:db8::1]:587", "2001:db8::1", 587), ("192.0.2.1:65535", "192.0.2.1", 65535),
        ])
    func roundTrip(_ text: String, host: String, port: Int) throws {
        let address = try #require(ListenAddress(parsing: text))
        #expect(address == ListenAddress(host: host, port: port))
        #expect(address.description == text)
        #expect(ListenAddress(parsing: address.description) == address)
    }

    @Test(
        "Malformed listen addresses are refused",
        arguments: [
            "127.0.0.1", "[::1]", "999.1.1.1:25", "::1:25", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:", ":25",
            "[::1]2525", "[::1]:", "localhost:25", "mail.example.test:25", "127.0.0.1:25x", "", "[]:25", "[127.0.0.1:25",
            "1.2.3:25",
        ])
    func refused(_ text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }
}

@Suite("IPv6 listeners beside IPv4 ones")
struct IPv6OnlyListenerTests {
    @Test("The production pair 0.0.0.0:25 + [::]:25 makes the IPv6 socket IPv6-only; [::] alone stays dual-stack")
    func productionPair() {
        var c = ServerConfiguration()
        c.smtpListeners = [ListenAddress(host: "0.0.0.0", port: 25), ListenAddress(host: "::", port: 25)]
        c.submissionListeners = [ListenAddress(host: "::", port: 587)]
        c.pop3Listeners = [ListenAddress(host: "192.0.2.1", port: 110), ListenAddress(host: "::1", port: 110)]
        c.pop3ImplicitTLSListeners = []
        c.submissionImplicitTLSListeners = []
        #expect(
            c.ipv6OnlyListeners == [ListenAddress(host: "::", port: 25), ListenAddress(host: "::1", port: 110)])
    }

    @Test("The default loopback listeners are IPv4 only: nothing changes for them")
    func defaults() {
        #expect(ServerConfiguration().ipv6OnlyListeners.isEmpty)
    }
}
