import Foundation

/// Durations in sims.toml: `"30s"`, `"5m"`, `"1h"`, `"5d"`, `"250ms"`, or a
/// bare number of seconds. `Duration.exactText` (MailCore) writes them.
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [
            ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
        ]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, nanoseconds) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            // "ms" must not be read as minutes of "5m" + "s"
            if suffix == "s", number.hasSuffix("m") { continue }
            guard let value = Int64(number), value >= 0 else { return nil }
            let (total, overflow) = value.multipliedReportingOverflow(by: nanoseconds)
            return overflow ? nil : .nanoseconds(total)
        }
        guard let seconds = Int64(trimmed), seconds >= 0 else { return nil }
        let (total, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? nil : .nanoseconds(total)
    }
}
