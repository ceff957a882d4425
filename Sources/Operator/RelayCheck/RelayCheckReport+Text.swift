import Foundation

extension RelayCheckReport {
    /// The report for people: one block per trick (its summary and verdict
    /// on one line, MAIL and RCPT with the replies under it), then the verdict.
    /// Lines fit in `width` columns except for very long replies.
    public func text(server: String, colour: Bool, width: Int = 80) -> String {
        var out: [String] = []
        out.append(paint("check-relay \(server)", "1", colour))
        if let banner { out.append("  banner:       \(banner)") }
        if let battery {
            out.append("  server names: \(battery.hostname), domain \(battery.local), address \(battery.literal)")
            out.append("  relay target: \(battery.external) (a domain the server must not relay to)")
        }
        out.append("")
        for (index, result) in results.enumerated() {
            let number = String(index + 1).leftPadded(to: 3)
            let word = Self.word(result.verdict)
            let head = "\(number) \(result.trick.summary)"
            let gap = max(1, width - head.count - word.count)
            out.append(head + String(repeating: " ", count: gap) + paint(word, Self.style(result.verdict), colour))
            out += exchange(result.trick.mailCommand, result.mailReply, width: width)
            if result.mailReply?.isPositive == true {
                out += exchange(result.trick.rcptCommand, result.rcptReply, width: width)
            }
            if let problem = result.problem { out.append("      (\(problem))") }
        }
        for trick in untried { out.append("    not tried: \(trick.summary) (\(trick.rcptCommand))") }
        if let failure { out += ["", "stopped: \(failure)"] }
        out.append("")
        let style = verdict == .open ? "1;31" : verdict == .closed ? "32" : "33"
        out.append(paint(summary, style, colour))
        return out.joined(separator: "\n") + "\n"
    }

    private func exchange(_ command: String, _ reply: RelayProbeReply?, width: Int) -> [String] {
        let answer = reply.map(\.description) ?? "(no reply)"
        let line = "      \(command)  \(answer)"
        if line.count <= width { return [line] }
        return ["      \(command)", "        \(answer)"]
    }

    private static func word(_ verdict: RelayTrickResult.Verdict) -> String {
        switch verdict {
        case .accepted: return "ACCEPTED"
        case .refused: return "refused"
        case .temporary: return "temporary"
        case .noAnswer: return "no answer"
        }
    }

    private static func style(_ verdict: RelayTrickResult.Verdict) -> String {
        switch verdict {
        case .accepted: return "1;31"
        case .refused: return "32"
        case .temporary, .noAnswer: return "33"
        }
    }

    private func paint(_ text: String, _ style: String, _ colour: Bool) -> String {
        colour ? "\u{1B}[\(style)m\(text)\u{1B}[0m" : text
    }

    /// Stable JSON for scripts: `server`, `banner`, `hostname`, `local_domain`,
    /// `relay_target`, `tricks` (each with `id`, `family`, `summary`, `mail`,
    /// `rcpt`, `mail_reply`, `rcpt_reply`, `verdict`), `untried`, `accepted`,
    /// `total`, `verdict` (open / closed / inconclusive), `summary`, `failure`.
    public func json(server: String) -> String {
        struct Trick: Encodable {
            var id: String
            var family: RelayTrick.Family
            var summary: String
            var mail: String
            var rcpt: String
            var mailReply: String?
            var rcptReply: String?
            var verdict: RelayTrickResult.Verdict
            var problem: String?
        }
        struct Document: Encodable {
            var server: String
            var banner: String?
            var hostname: String?
            var localDomain: String?
            var relayTarget: String?
            var tricks: [Trick]
            var untried: [String]
            var accepted: Int
            var total: Int
            var verdict: Verdict
            var summary: String
            var failure: String?
        }
        let tricks = results.map {
            Trick(
                id: $0.trick.id, family: $0.trick.family, summary: $0.trick.summary, mail: $0.trick.mailCommand,
                rcpt: $0.trick.rcptCommand, mailReply: $0.mailReply?.description, rcptReply: $0.rcptReply?.description,
                verdict: $0.verdict, problem: $0.problem)
        }
        let document = Document(
            server: server, banner: banner?.description, hostname: battery?.hostname, localDomain: battery?.local,
            relayTarget: battery?.external, tricks: tricks, untried: untried.map(\.id), accepted: accepted.count,
            total: total, verdict: verdict, summary: summary, failure: failure)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = (try? encoder.encode(document)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
