import Foundation

/// What `sims doctor` prints: every finding, most serious first, for people
/// (aligned for 80 columns) or as stable JSON.
public struct DoctorReport: Sendable {
    public var dataDirectory: String
    /// In check order; `ordered` sorts them by severity.
    public var findings: [DoctorFinding]

    public init(dataDirectory: String, findings: [DoctorFinding]) {
        self.dataDirectory = dataDirectory
        self.findings = findings
    }

    /// Critical first, then warnings, advice, ok; check order within each.
    public var ordered: [DoctorFinding] {
        findings.enumerated().sorted { ($0.element.severity, $0.offset) < ($1.element.severity, $1.offset) }.map(\.element)
    }

    public func count(_ severity: DoctorSeverity) -> Int { findings.filter { $0.severity == severity }.count }

    /// 0 when nothing critical and no warning; 1 otherwise.
    public var exitStatus: Int32 { findings.contains { $0.severity.isProblem } ? 1 : 0 }

    /// The last line: `2 critical, 1 warning, 3 advice, 9 ok`.
    public var summary: String {
        let critical = count(.critical)
        let warnings = count(.warning)
        let counts =
            "\(critical) critical, \(warnings) warning\(warnings == 1 ? "" : "s"), \(count(.advice)) advice, "
            + "\(count(.ok)) ok"
        return exitStatus == 0 ? "\(counts): nothing to fix." : "\(counts): fix the problems above."
    }

    // MARK: - JSON

    /// Stable JSON, keys sorted:
    /// `{"data_directory", "exit_status", "counts": {critical, warning, advice, ok},
    ///   "findings": [{"check", "id", "severity", "found", "fix"}], "summary"}`.
    /// `fix` is null when there is nothing to do.
    public func json() -> String {
        struct Entry: Encodable {
            var check: String
            var id: String
            var severity: String
            var found: String
            var fix: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(check, forKey: .check)
                try container.encode(id, forKey: .id)
                try container.encode(severity, forKey: .severity)
                try container.encode(found, forKey: .found)
                try container.encode(fix, forKey: .fix)  // null rather than absent: a stable shape
            }

            enum CodingKeys: String, CodingKey { case check, id, severity, found, fix }
        }
        struct Document: Encodable {
            var dataDirectory: String
            var exitStatus: Int32
            var counts: [String: Int]
            var findings: [Entry]
            var summary: String
        }
        let document = Document(
            dataDirectory: dataDirectory, exitStatus: exitStatus,
            counts: Dictionary(DoctorSeverity.allCases.map { ($0.rawValue, count($0)) }, uniquingKeysWith: +),
            findings: ordered.map {
                Entry(check: $0.check, id: $0.id, severity: $0.severity.rawValue, found: $0.found, fix: $0.fix)
            },
            summary: summary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = (try? encoder.encode(document)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
