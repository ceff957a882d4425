import MailCore
import Testing

@Suite("Durations in log lines and replies")
struct DurationTextTests {
    @Test(arguments: [
        (Duration.milliseconds(300), "300ms"), (.zero, "0ms"), (.seconds(45), "45s"), (.seconds(192), "3m12s"),
        (.seconds(600), "10m"), (.seconds(1800), "30m"), (.seconds(3720), "1h2m"), (.seconds(3601), "1h0m1s"),
        (.seconds(7200), "2h"), (.milliseconds(1999), "1s"),
    ])
    func text(_ duration: Duration, _ expected: String) { #expect(duration.shortText == expected) }
}
