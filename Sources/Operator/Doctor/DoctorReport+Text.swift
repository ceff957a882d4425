import MailCore

extension DoctorReport {
    /// The report for people:
    ///
    ///     critical  tls        The TLS certificate tls/cert.pem expired on
    ///                          2026-01-01 (3 days ago): clients that check …
    ///                          fix: Renew it and replace the files; …
    ///
    /// a severity column, an area column, then the text wrapped to `width`.
    /// `colour` adds ANSI colours; the caller decides (a terminal, no NO_COLOR).
    public func text(colour: Bool, width: Int = 80) -> String {
        let severityWidth = 10
        let checkWidth = 11
        let indent = String(repeating: " ", count: severityWidth + checkWidth)
        let textWidth = max(30, width - indent.count)
        var out = [paint("sims doctor: \(dataDirectory)", "1", colour), ""]
        for finding in ordered {
            let label = paint(pad(finding.severity.rawValue, severityWidth), Self.colour(finding.severity), colour)
            let found = TextWrap.lines(finding.found, width: textWidth)
            let fix = finding.fix.map { TextWrap.lines("fix: " + $0, width: textWidth) } ?? []
            for (index, line) in (found + fix).enumerated() {
                let prefix = index == 0 ? label + pad(finding.check, checkWidth) : indent
                let styled = index >= found.count ? paint(line, "2", colour) : line
                out.append(prefix + styled)
            }
        }
        out.append("")
        for line in TextWrap.lines(summary, width: width) {
            out.append(paint(line, exitStatus == 0 ? "32" : "1;31", colour))
        }
        return out.joined(separator: "\n") + "\n"
    }

    private static func colour(_ severity: DoctorSeverity) -> String {
        switch severity {
        case .critical: return "1;31"
        case .warning: return "33"
        case .advice: return "36"
        case .ok: return "32"
        }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width - 1 ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func paint(_ text: String, _ code: String, _ colour: Bool) -> String {
        colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
