import MailCore

extension Auditor {
    /// The report on everything read so far.
    public func report() -> AuditReport {
        let rows = settings.tableRows
        func entries(_ counter: BoundedCounter) -> [AuditReport.Entry] {
            counter.top(rows).map { .init(key: $0.key, count: $0.count) }
        }
        let permissionRows = permissions.map { grant, tally in
            AuditReport.Permission(
                kind: grant.kind, name: grant.name, client: popClient(grant), messages: tally.messages,
                recipients: tally.recipients, first: LogTime.format(tally.first), last: LogTime.format(tally.last),
                nightRecipients: tally.night, distinctDomains: tally.domains.distinct, topDomains: entries(tally.domains),
                clients: tally.clients.top(5).map { .init(key: $0.key, count: $0.count) })
        }.sorted { ($0.kind, $0.name, $0.client ?? "") < ($1.kind, $1.name, $1.client ?? "") }
        var backscatter = BoundedCounter()
        for (domain, count) in notificationDomains.counts
        where !domain.isEmpty && !localDomains.contains(domain) && relayedDomains[domain] == 0 {
            backscatter.add(domain, count)
        }
        let findings = self.findings(permissions: permissionRows, backscatter: backscatter)
        return AuditReport(
            window: .init(
                since: settings.since.map(LogTime.format), first: first.map(LogTime.format), last: last.map(LogTime.format),
                files: files, lines: lines, otherLines: otherLines, unparsedLines: unparsedLines),
            counts: counts, refusedByReason: entries(refusedByReason), relayPermissions: permissionRows,
            refusedRelayByIP: entries(refusedRelayByIP), authFailuresByIP: entries(authFailuresByIP),
            authFailuresByAccount: entries(authFailuresByAccount), bansByIP: entries(bansByIP),
            backscatterDomains: entries(backscatter), findings: findings,
            verdict: verdict(findings, permissions: permissionRows))
    }

    private func popClient(_ grant: RelayGrant) -> String? {
        if case .popBeforeSMTP(_, let client) = grant { return client }
        return nil
    }

    func findings(permissions: [AuditReport.Permission], backscatter: BoundedCounter) -> [AuditReport.Finding] {
        var found: [AuditReport.Finding] = []
        if openRelay.recipients > 0 {
            let example = openRelay.examples.first.map { ", e.g. \($0)" } ?? ""
            found.append(.init(
                severity: "critical", kind: "open_relay",
                message: "\(openRelay.messages) message(s) (\(openRelay.recipients) recipient(s)) relayed with no "
                    + "permission recorded\(example)"))
        } else if openRelay.sentWithoutPermission > 0 {
            found.append(.init(
                severity: "critical", kind: "open_relay",
                message: "\(openRelay.sentWithoutPermission) recipient(s) sent to other domains with no permission recorded"))
        }
        for permission in permissions where permission.distinctDomains > settings.manyDomainsThreshold {
            found.append(.init(
                severity: "warning", kind: "many_domains",
                message: "\(describe(permission)) relayed to \(permission.distinctDomains) distinct domains "
                    + "(more than \(settings.manyDomainsThreshold)): a stolen password or an infected client?"))
        }
        let hours = "\(pad(settings.nightHours.lowerBound)):00–\(pad(settings.nightHours.upperBound)):00 UTC"
        for permission in permissions where permission.kind == "client_network" && permission.nightRecipients > 0 {
            found.append(.init(
                severity: "warning", kind: "night_relay",
                message: "\(describe(permission)) relayed \(permission.nightRecipients) recipient(s) at night (\(hours))"))
        }
        let networks = permissions.filter { $0.kind == "client_network" }
        if !networks.isEmpty {
            if let hosts = settings.listenerHosts {
                let publicHosts = hosts.filter(Self.isPublic)
                for network in networks where IPAddressRange(network.name)?.overlapsPrivateOrLoopback ?? false {
                    guard !publicHosts.isEmpty else { continue }
                    found.append(.init(
                        severity: "warning", kind: "private_network_public_listener",
                        message: "\(describe(network)) is a private range while listening on "
                            + "\(publicHosts.joined(separator: ", ")): behind NAT every outside client may look trusted"))
                }
            } else {
                found.append(.init(
                    severity: "note", kind: "listeners_unknown",
                    message: "listeners unknown (no readable sims.toml): private-range check skipped"))
            }
        }
        if backscatter.total > 0 {
            let domains = backscatter.top(3).map(\.key).joined(separator: ", ")
            found.append(.init(
                severity: "warning", kind: "backscatter",
                message: "\(backscatter.total) bounce(s) sent to domains never relayed to (\(domains)): "
                    + "backscatter to forged senders?"))
        }
        if let level = settings.logLevel, level < 2 {
            found.append(.init(
                severity: "note", kind: "low_log_level",
                message: "log level \(level): recipients' fates are not logged below 2, so this audit cannot see them"))
        }
        return found
    }

    func verdict(_ findings: [AuditReport.Finding], permissions: [AuditReport.Permission]) -> AuditReport.Verdict {
        if let critical = findings.first(where: { $0.severity == "critical" }) {
            let text: String
            if openRelay.messages > 0 {
                text = "OPEN RELAY? \(openRelay.messages) message(s) relayed with no permission recorded"
            } else {
                text = "OPEN RELAY? " + critical.message
            }
            return .init(status: "open_relay", text: text)
        }
        let base =
            permissions.contains { $0.kind == "pop_before_smtp" }
            ? "no relaying except by authenticated users, client networks and POP-before-SMTP logins"
            : "no relaying except by authenticated users and client networks"
        let warnings = findings.filter { $0.severity == "warning" }
        guard !warnings.isEmpty else { return .init(status: "ok", text: base) }
        var kinds: [String] = []
        for warning in warnings {
            let words = Self.kindWords[warning.kind] ?? warning.kind
            if !kinds.contains(words) { kinds.append(words) }
        }
        return .init(status: "warning", text: base + ", but look at: " + kinds.joined(separator: "; "))
    }

    static let kindWords = [
        "many_domains": "an account or network relaying to many domains",
        "night_relay": "client network relaying at night",
        "private_network_public_listener": "a private client network with a public listener",
        "backscatter": "bounces to domains never relayed to (backscatter)",
    ]

    private func describe(_ permission: AuditReport.Permission) -> String {
        switch permission.kind {
        case "authenticated": return "account \(permission.name)"
        case "client_network": return "client network \(permission.name)"
        case "pop_before_smtp": return "POP-before-SMTP login \(permission.name) from \(permission.client ?? "?")"
        default: return permission.name
        }
    }

    private func pad(_ hour: Int) -> String { hour < 10 ? "0\(hour)" : "\(hour)" }

    /// A wildcard or a public address: reachable from outside.
    static func isPublic(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if ["", "*", "0.0.0.0", "::"].contains(bare) { return true }
        guard let range = IPAddressRange(bare) else { return true }
        return !range.overlapsPrivateOrLoopback
    }
}
