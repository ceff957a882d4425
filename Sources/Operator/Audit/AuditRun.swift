import Foundation

/// Runs an audit over files and encodes its report.
public enum AuditRun {
    /// Reads `files` in order with `settings`. A file that does not exist,
    /// or no file at all (`noLog` names where the log was looked for), makes
    /// the verdict "cannot tell", with the reason; other read errors throw.
    public static func report(files: [String], settings: AuditSettings, noLog: String? = nil) throws -> AuditReport {
        var auditor = Auditor(settings: settings)
        for file in files {
            do {
                try auditor.read(file: file)
            } catch let error as LogFiles.ReadError where error.code == ENOENT {
                auditor.missingFiles.append(file)
            }
        }
        if files.isEmpty, let noLog { auditor.missingFiles.append(noLog) }
        return auditor.report()
    }

    /// `--format json`: snake_case keys, sorted, pretty-printed.
    public static func json(_ report: AuditReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    /// `24h`, `90m`, `7d`, `30s` before `now`, or a UTC timestamp
    /// (`2026-11-28`, `2026-11-28T00:00`, `2026-11-28T00:00:00Z`).
    public static func since(_ text: String, now: Int64) -> Int64? {
        if let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0 {
            switch unit {
            case "s": return now - amount * 1000
            case "m": return now - amount * 60_000
            case "h": return now - amount * 3_600_000
            case "d": return now - amount * 86_400_000
            default: break
            }
        }
        return LogTime.parse(text)
    }
}
