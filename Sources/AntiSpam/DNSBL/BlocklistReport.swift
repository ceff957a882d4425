import Foundation
import MailCore

/// What `sims dnsbl` prints: every list's verdict on every subject looked
/// up, for people (aligned for 80 columns, coloured on a terminal) or as JSON.
public struct BlocklistReport: Sendable {
    public var verdicts: [BlocklistVerdict]
    /// Lines about the lookup itself ("mail.example.org has no addresses").
    public var notes: [String]
    /// "Not listed" verdicts that mean nothing: the list (through this
    /// resolver) also denies the RFC 5782 § 5 test entry 127.0.0.2, which
    /// every IPv4 list must list. Shown as "unusable", never as clean.
    public var unusable: Set<BlocklistVerdict>

    public init(verdicts: [BlocklistVerdict], notes: [String] = [], unusable: Set<BlocklistVerdict> = []) {
        self.verdicts = verdicts
        self.notes = notes
        self.unusable = unusable
    }

    /// A "not listed" that can be believed.
    private func isClean(_ verdict: BlocklistVerdict) -> Bool {
        verdict.outcome == .notListed && !unusable.contains(verdict)
    }

    public var listedCount: Int { verdicts.filter(\.isListed).count }

    /// 1 when listed anywhere; 0 when not listed and at least one list gave
    /// an answer; 2 when no list gave a usable answer at all.
    public var exitStatus: Int32 {
        if listedCount > 0 { return 1 }
        return verdicts.contains(where: isClean) ? 0 : 2
    }

    /// The last line.
    public var summary: String {
        let subjects = orderedSubjects
        let lists = Set(verdicts.map(\.list.zone)).count
        if listedCount > 0 {
            let listedSubjects = subjects.filter { subject in verdicts.contains { $0.subject == subject && $0.isListed } }
            let zones = orderedUnique(verdicts.filter(\.isListed).map(\.list.zone))
            return "LISTED: \(listedSubjects.joined(separator: ", ")) on \(zones.count) of \(lists) lists "
                + "(\(zones.joined(separator: ", ")))"
        }
        if exitStatus == 2 && !unusable.isEmpty {
            return "no usable answer: the resolver denies the RFC 5782 test entry 127.0.0.2"
        }
        if exitStatus == 2 { return "no list gave an answer" }
        let unanswered = verdicts.filter { !isClean($0) }.count
        let what = subjects.count == 1 ? subjects[0] : subjects.joined(separator: ", ")
        return "not listed: \(what) on none of \(lists) lists"
            + (unanswered > 0 ? " (\(unanswered) lookups without an answer)" : "")
    }

    // MARK: - Text

    /// The report for people. `colour` adds ANSI colours (the caller decides:
    /// only on a terminal and without NO_COLOR).
    public func text(colour: Bool, width: Int = 80) -> String {
        let zoneWidth = min(max(verdicts.map(\.list.zone.count).max() ?? 0, 10), 34)
        let statusWidth = 11
        let detailColumn = 2 + zoneWidth + 2 + statusWidth
        var out: [String] = []
        for subject in orderedSubjects {
            let forSubject = verdicts.filter { $0.subject == subject }
            let kind = forSubject.first?.list.kind == .domain ? "domain" : "address"
            out.append(paint("\(kind) \(subject)", .bold, colour))
            for verdict in forSubject {
                let (status, style, details): (String, Style, [String]) =
                    unusable.contains(verdict)
                    ? ("unusable", .yellow, ["NXDOMAIN for the test entry 127.0.0.2 too: this answer means nothing"])
                    : Self.describe(verdict)
                let zoneLength = max(zoneWidth, verdict.list.zone.count)
                let zone = verdict.list.zone.padding(toLength: zoneLength, withPad: " ", startingAt: 0)
                let statusText = paint(status.padding(toLength: statusWidth, withPad: " ", startingAt: 0), style, colour)
                let wrapped = details.flatMap { TextWrap.lines($0, width: max(20, width - detailColumn)) }
                var line = "  \(zone)  \(statusText)"
                if let first = wrapped.first { line += first }
                out.append(trimmingTrailingSpaces(line))
                for more in wrapped.dropFirst() { out.append(String(repeating: " ", count: detailColumn) + more) }
            }
            out.append("")
        }
        out += notes.flatMap { TextWrap.lines($0, width: width) }
        if !notes.isEmpty { out.append("") }
        let style: Style = listedCount > 0 ? .red : exitStatus == 2 ? .yellow : .green
        out.append(paint(summary, style, colour))
        return out.joined(separator: "\n") + "\n"
    }

    private static func describe(_ verdict: BlocklistVerdict) -> (String, Style, [String]) {
        switch verdict.outcome {
        case .listed(let reason):
            let answers = verdict.answers.joined(separator: ", ")
            return ("LISTED", .red, [answers] + (reason.map { [WireText.singleLine($0, maximumLength: 400)] } ?? []))
        case .notListed:
            let ignored = verdict.answers.isEmpty ? [] : ["(ignored answer \(verdict.answers.joined(separator: ", ")))"]
            return ("not listed", .green, ignored)
        case .refused:
            return ("refused", .yellow, ["\(verdict.answers.joined(separator: ", ")): the list refused the query"])
        case .noAnswer(let error):
            return ("no answer", .yellow, ["\(error)"])
        }
    }

    private var orderedSubjects: [String] { orderedUnique(verdicts.map(\.subject)) }

    private func orderedUnique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }

    private enum Style: String {
        case bold = "1", red = "1;31", green = "32", yellow = "33"
    }

    private func paint(_ text: String, _ style: Style, _ colour: Bool) -> String {
        colour ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    private func trimmingTrailingSpaces(_ text: String) -> String {
        var text = text
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }

    // MARK: - JSON

    /// Stable JSON: `{"lookups": [...], "listed": N, "exit_status": N, "summary": "...", "notes": [...]}`.
    public func json() -> String {
        struct Lookup: Encodable {
            var subject: String
            var kind: String
            var list: String
            var name: String
            var query: String
            var status: String
            var answers: [String]
            var reason: String?
            var error: String?
        }
        struct Document: Encodable {
            var lookups: [Lookup]
            var listed: Int
            var exitStatus: Int32
            var summary: String
            var notes: [String]
        }
        let lookups = verdicts.map { verdict -> Lookup in
            var lookup = Lookup(
                subject: verdict.subject, kind: verdict.list.kind.rawValue, list: verdict.list.zone,
                name: verdict.list.displayName, query: verdict.queryName, status: "", answers: verdict.answers)
            switch verdict.outcome {
            case .listed(let reason): (lookup.status, lookup.reason) = ("listed", reason)
            case .notListed: lookup.status = unusable.contains(verdict) ? "unusable" : "not-listed"
            case .refused: lookup.status = "refused"
            case .noAnswer(let error): (lookup.status, lookup.error) = ("no-answer", "\(error)")
            }
            return lookup
        }
        let document = Document(lookups: lookups, listed: listedCount, exitStatus: exitStatus, summary: summary, notes: notes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = (try? encoder.encode(document)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
