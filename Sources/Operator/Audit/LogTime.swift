import MailCore

/// Log timestamps (`2026-11-29T02:14:52.815Z`, always UTC) as milliseconds
/// since 1970, parsed and formatted by hand: a million lines must not go
/// through a date formatter.
public enum LogTime {
    /// Milliseconds since 1970 of `YYYY-MM-DDTHH:MM:SS[.mmm]Z` at the start
    /// of `bytes` (the `Z` may be missing), or nil when it is not one.
    static func parse(_ bytes: LogBytes) -> Int64? {
        guard bytes.count >= 19 else { return nil }
        let s = bytes.startIndex
        func digits(_ offset: Int, _ count: Int) -> Int? {
            var value = 0
            for i in 0..<count {
                let byte = bytes[s + offset + i]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes[s + 4] == 0x2D, bytes[s + 7] == 0x2D, bytes[s + 10] == 0x54, bytes[s + 13] == 0x3A,
            bytes[s + 16] == 0x3A,
            let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
            let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var millis = 0
        if bytes.count >= 23, bytes[s + 19] == 0x2E, let fraction = digits(20, 3) { millis = fraction }
        let days = CivilDate.days(year: year, month: month, day: day)
        return Int64(((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + Int64(millis)
    }

    /// Parses a whole string as a timestamp; accepts `2026-11-28`, `2026-11-28T00:00` and the full form.
    public static func parse(_ text: String) -> Int64? {
        var full = text.hasSuffix("Z") ? String(text.dropLast()) : text
        switch full.count {
        case 10: full += "T00:00:00"
        case 16: full += ":00"
        default: break
        }
        var bytes = Array(full.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer in
            let view = UnsafeBufferPointer(buffer)
            guard view.count == 19 || view.count == 23 else { return nil }
            return parse(view[...])
        }
    }

    /// `2026-11-29T02:14:52.815Z`.
    public static func format(_ millis: Int64) -> String {
        let (date, seconds) = civil(millis)
        let ms = Int(((millis % 1000) + 1000) % 1000)
        let msText = ms < 10 ? "00\(ms)" : (ms < 100 ? "0\(ms)" : "\(ms)")
        return "\(date)T\(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60)).\(msText)Z"
    }

    /// `2026-11-29`, the day of a timestamp (UTC), as rotated log files are named.
    public static func day(_ millis: Int64) -> String { civil(millis).date }

    /// The UTC hour (0…23).
    static func hour(_ millis: Int64) -> Int {
        let seconds = Int(((millis / 1000) % 86_400 + 86_400) % 86_400)
        return seconds / 3600
    }

    private static func civil(_ millis: Int64) -> (date: String, secondOfDay: Int) {
        let totalSeconds = Int(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)
        let days = totalSeconds >= 0 ? totalSeconds / 86_400 : (totalSeconds - 86_399) / 86_400
        let (year, month, day) = CivilDate.date(fromDays: days)
        return ("\(year)-\(pad(month))-\(pad(day))", totalSeconds - days * 86_400)
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
