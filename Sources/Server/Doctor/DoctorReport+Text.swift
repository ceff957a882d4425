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
            let found = Self.wrap(finding.found, width: textWidth)
            let fix = finding.fix.map { Self.wrap("fix: " + $0, width: textWidth) } ?? []
            for (index, line) in (found + fix).enumerated() {
                let prefix = index == 0 ? label + pad(finding.check, checkWidth) : indent
                let styled = index >= found.count ? paint(line, "2", colour) : line
                out.append(prefix + styled)
            }
        }
        out.append("")
        for line in Self.wrap(summary, width: width) {
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

    /// Words into lines of at most `width` characters; a longer word (a path,
    /// a record) is cut so that no line passes the right margin.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            var word = Substring(word)
            while word.count > width {
                if !line.isEmpty { lines.append(line); line = "" }
                lines.append(String(word.prefix(width)))
                word = word.dropFirst(width)
            }
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
