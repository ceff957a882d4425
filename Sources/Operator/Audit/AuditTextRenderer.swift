/// `sims audit` for people: sections, aligned numbers, at most 80 columns.
public struct AuditTextRenderer {
    let style: TextStyle

    public init(style: TextStyle) {
        self.style = style
    }

    public func render(_ report: AuditReport) -> String {
        var out: [String] = []
        let window = report.window
        out.append(style.bold("SIMS audit") + "  \(window.first ?? "-") … \(window.last ?? "-")")
        out.append(
            "  \(window.files.count) file(s), \(window.lines) line(s) in the window"
                + (window.since.map { " (since \($0))" } ?? ""))
        out.append("")
        section("Messages", &out)
        let c = report.counts
        out.append(row("received (messages)", c.received))
        out.append(row("delivered locally (recipients)", c.deliveredLocally))
        out.append(row("relayed (recipients)", c.relayed, "in \(c.relayedMessages) message(s)"))
        out.append(row("sent", c.sent))
        out.append(row("deferred (attempts)", c.deferred))
        if c.greylisted > 0 { out.append(row("greylisted (recipients, not accepted)", c.greylisted)) }
        out.append(row("bounced (recipients)", c.bounced))
        out.append(row("bounces sent", c.bouncesSent, c.bouncesDiscarded > 0 ? "\(c.bouncesDiscarded) discarded" : ""))
        out.append(row("refused", c.refused))
        for entry in report.refusedByReason { out.append(row("  " + entry.key, entry.count)) }
        out.append(row("mailbox logins (POP3 / IMAP)", c.popLogins + c.imapLogins, "\(c.popLogins) / \(c.imapLogins)"))
        out.append(row("authentication failures", c.authFailures))
        out.append("")
        section("Relaying by permission", &out)
        if report.relayPermissions.isEmpty { out.append("  none") }
        for permission in report.relayPermissions { render(permission, &out) }
        out.append("")
        table("Refused relay attempts by client", report.refusedRelayByIP, &out)
        table("Authentication failures by address", report.authFailuresByIP, &out)
        table("Authentication failures by account", report.authFailuresByAccount, &out)
        table("Bans by address", report.bansByIP, &out)
        table("Locked accounts (logins refused while locked)", report.lockedAccounts, &out)
        table("Accounts by addresses they logged in from", report.accountsByClients, &out)
        section("Findings", &out)
        if report.findings.isEmpty { out.append("  " + style.green("nothing unusual")) }
        for finding in report.findings {
            let mark =
                finding.severity == "critical"
                ? style.red("!!") : (finding.severity == "warning" ? style.yellow("! ") : "- ")
            out += Columns.wrap(finding.message, width: 74, indent: "     ").enumerated().map {
                $0.offset == 0 ? "  \(mark) \($0.element)" : $0.element
            }
        }
        out.append("")
        let verdict = report.verdict
        let text = "Verdict: " + verdict.text
        let lines = Columns.wrap(text, width: 78, indent: "  ").joined(separator: "\n")
        switch verdict.status {
        case "ok": out.append(style.green(lines))
        case "open_relay", "cannot_tell": out.append(style.red(lines))
        default: out.append(style.yellow(lines))
        }
        return out.joined(separator: "\n") + "\n"
    }

    private func section(_ title: String, _ out: inout [String]) {
        out.append(style.bold(title))
    }

    private func row(_ label: String, _ value: Int, _ note: String = "") -> String {
        let line = "  " + Columns.left(Columns.fit(label, 40), 40) + Columns.right("\(value)", 10)
        return note.isEmpty ? line : line + "  " + Columns.fit(note, 24)
    }

    private func table(_ title: String, _ entries: [AuditReport.Entry], _ out: inout [String]) {
        guard !entries.isEmpty else { return }
        section(title, &out)
        for entry in entries { out.append(row(entry.key, entry.count)) }
        out.append("")
    }

    private func render(_ permission: AuditReport.Permission, _ out: inout [String]) {
        let title: String
        switch permission.kind {
        case "authenticated": title = "authenticated as \(permission.name)"
        case "client_network": title = "client network \(permission.name)"
        case "pop_before_smtp": title = "pop-before-smtp \(permission.name) from \(permission.client ?? "?")"
        default: title = permission.name
        }
        out.append("  " + Columns.fit(title, 76))
        let domainCount =
            permission.distinctDomainsOverBound ? "more than \(permission.distinctDomains)" : "\(permission.distinctDomains)"
        out.append(
            "    \(permission.messages) message(s), \(permission.recipients) recipient(s), \(domainCount) domain(s)")
        out.append("    first \(permission.first)  last \(permission.last)")
        if permission.nightRecipients > 0 {
            out.append("    " + style.yellow("\(permission.nightRecipients) recipient(s) at night (UTC)"))
        }
        let domains = permission.topDomains.map { "\($0.key) \($0.count)" }.joined(separator: ", ")
        out += Columns.wrap("to: " + domains, width: 74, indent: "        ").map { "    " + $0 }
        if permission.kind != "pop_before_smtp" {
            let clients: String = permission.clients.map { client -> String in
                let gateway = permission.gatewayClients.contains(client.key) ? " (default gateway)" : ""
                return "\(client.key) \(client.count)\(gateway)"
            }.joined(separator: ", ")
            let count =
                permission.clientCountOverBound ? "more than \(permission.clientCount)" : "\(permission.clientCount)"
            out += Columns.wrap("from \(count) address(es): " + clients, width: 74, indent: "          ").map { "    " + $0 }
        }
    }
}
