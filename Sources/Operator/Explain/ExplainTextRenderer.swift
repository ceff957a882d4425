/// `sims explain` for people: the summary, then every line in order.
public struct ExplainTextRenderer {
    let style: TextStyle

    public init(style: TextStyle) {
        self.style = style
    }

    public func render(_ story: MessageStory) -> String {
        let summary = MessageSummary(story)
        var out: [String] = [style.bold("Message \(summary.queueID)")]
        func field(_ label: String, _ value: String) {
            out += Columns.wrap(value, width: 64, indent: String(repeating: " ", count: 16)).enumerated().map {
                $0.offset == 0 ? "  " + Columns.left(label, 14) + $0.element : $0.element
            }
        }
        let from = summary.client.map { " from \($0)" } ?? ""
        field("connection", "\(summary.connection ?? "not found")\(from)\(summary.connectedAt.map { " at \($0)" } ?? "")")
        field(
            "HELO",
            summary.helo.isEmpty ? "not logged (the dialogue is logged at level 4)" : summary.helo.joined(separator: "; "))
        field("TLS", summary.tls ?? "none logged")
        field("AUTH", summary.authentication.isEmpty ? "none" : summary.authentication.joined(separator: "; "))
        field("MAIL FROM", summary.sender.map { "<\($0)>" } ?? "not logged")
        if let size = summary.size {
            field("received", "\(size) bytes at \(summary.receivedAt ?? "?")")
        } else {
            field("received", "no: the message was not accepted (see the recipients and the lines below)")
        }
        out.append("")
        out.append(style.bold("Recipients"))
        if summary.recipients.isEmpty { out.append("  none logged") }
        for recipient in summary.recipients {
            out.append("  <\(recipient.address)>")
            field("  decision", recipient.decision)
            for attempt in recipient.attempts { field("  attempt", attempt) }
            let fate = recipient.fate
            let coloured =
                fate.hasPrefix("bounced") || fate == "refused"
                ? style.red(fate)
                : (fate.hasPrefix("deferred") || fate.hasPrefix("greylisted") || fate.hasPrefix("not accepted")
                    || fate == "queued" ? style.yellow(fate) : style.green(fate))
            out.append("  " + Columns.left("  fate", 14) + coloured)
        }
        if !summary.bounces.isEmpty {
            out.append("")
            out.append(style.bold("Bounce"))
            for bounce in summary.bounces { out += Columns.wrap(bounce, width: 76, indent: "    ").map { "  " + $0 } }
        }
        if !summary.notes.isEmpty {
            out.append("")
            out.append(style.bold("Problems and checks"))
            for note in summary.notes { out += Columns.wrap(note, width: 76, indent: "    ").map { "  " + $0 } }
        }
        out.append("")
        out.append(style.bold("Log lines"))
        out += story.lines.map { style.dim($0) }
        return out.joined(separator: "\n") + "\n"
    }
}
