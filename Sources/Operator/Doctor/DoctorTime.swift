import Foundation

/// Dates and durations as the doctor prints them.
enum DoctorTime {
    /// `2026-11-29` (UTC).
    static func day(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// A rough span for people: `40 s`, `12 min`, `5 h`, `3 days`.
    static func age(_ seconds: TimeInterval) -> String {
        let value = max(0, seconds)
        switch value {
        case ..<120: return "\(Int(value)) s"
        case ..<7200: return "\(Int(value / 60)) min"
        case ..<172_800: return "\(Int(value / 3600)) h"
        default: return "\(Int(value / 86_400)) days"
        }
    }
}
