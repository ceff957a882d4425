import MailCore

/// RFC 9051 `date-time`, as APPEND sends it: `"07-Dec-2026 19:48:02 +0100"`
/// (the day may be space-padded). Converted to seconds since 1970.
public enum IMAPDateTime {
    private static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    /// Seconds since 1970, or nil when `text` is not a date-time.
    public static func parse(_ text: String) -> Int64? {
        let parts = text.trimmingLeadingSpace.split(separator: " ")
        guard parts.count == 3 else { return nil }
        let date = parts[0].split(separator: "-")
        let time = parts[1].split(separator: ":")
        let zone = parts[2]
        guard date.count == 3, time.count == 3, zone.count == 5, let sign = zone.first, sign == "+" || sign == "-",
            let day = number(date[0], digits: 1...2), (1...31).contains(day),
            let month = months.firstIndex(of: date[1].uppercased()),
            let year = number(date[2], digits: 4...4),
            let hour = number(time[0], digits: 2...2), hour < 24,
            let minute = number(time[1], digits: 2...2), minute < 60,
            let second = number(time[2], digits: 2...2), second < 61,
            let zoneHours = number(zone.dropFirst().prefix(2), digits: 2...2),
            let zoneMinutes = number(zone.suffix(2), digits: 2...2), zoneMinutes < 60
        else { return nil }
        let days = CivilDate.days(year: year, month: month + 1, day: day)
        let offset = (zoneHours * 60 + zoneMinutes) * 60 * (sign == "-" ? -1 : 1)
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
    }

    private static func number(_ text: Substring, digits: ClosedRange<Int>) -> Int? {
        guard digits.contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}

extension String {
    fileprivate var trimmingLeadingSpace: Substring { drop { $0 == " " } }
}
