import MailCore
import NIOCore
import Testing

@testable import Configuration

@Suite("DurationText")
struct DurationTextTests {
    @Test(
        "Durations with a unit, or a bare number of seconds",
        arguments: [
            ("30s", TimeAmount.seconds(30)), ("5m", .minutes(5)), ("1h", .hours(1)), ("250ms", .milliseconds(250)),
            ("10", .seconds(10)), ("0", .zero), ("0s", .zero), (" 5m ", .minutes(5)), ("90s", .seconds(90)),
            ("1500ms", .milliseconds(1500)),
        ])
    func parse(_ text: String, expected: TimeAmount) {
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
            (TimeAmount.seconds(30), "30s"), (.minutes(5), "5m"), (.hours(1), "1h"), (.milliseconds(250), "250ms"),
            (.seconds(90), "90s"), (.zero, "0s"), (.milliseconds(1500), "1500ms"), (.minutes(90), "90m"),
            (.hours(48), "2d"),
        ])
    func format(_ amount: TimeAmount, expected: String) {
        #expect(Duration.nanoseconds(amount.nanoseconds).exactText == expected)
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
