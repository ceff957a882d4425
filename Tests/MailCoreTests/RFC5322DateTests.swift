import Foundation
import MailCore
import Testing

@Suite("RFC5322Date (RFC 5322 § 3.3), always UTC")
struct RFC5322DateTests {
    @Test("Known timestamps format exactly", arguments: [
        (0.0, "Thu, 1 Jan 1970 00:00:00 +0000"),
        (1_795_990_086, "Sun, 29 Nov 2026 22:08:06 +0000"),
        (1_709_197_503, "Thu, 29 Feb 2024 09:05:03 +0000"),
        (952_214_459, "Sun, 5 Mar 2000 00:00:59 +0000"),
        (1_795_990_086.999, "Sun, 29 Nov 2026 22:08:06 +0000"),
        (-1, "Wed, 31 Dec 1969 23:59:59 +0000"),
    ])
    func known(_ seconds: Double, _ expected: String) {
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test("Agrees with a POSIX-locale DateFormatter for every day of 2027 and 2028, at varying times")
    func agreesWithDateFormatter() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, d MMM yyyy HH:mm:ss Z"
        let start = 1_798_761_600.0  // 2027-01-01T00:00:00Z
        var mismatches: [String] = []
        for day in 0..<731 {
            let date = Date(timeIntervalSince1970: start + Double(day) * 86_400 + Double((day * 7_919) % 86_400))
            let ours = RFC5322Date.format(date)
            let theirs = formatter.string(from: date)
            if ours != theirs { mismatches.append("\(ours) != \(theirs)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }
}
