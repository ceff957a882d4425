import Configuration
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
                nightRecipients: tally.night, distinctDomains: tally.domains.distinct,
                distinctDomainsOverBound: tally.domains.overflow > 0, topDomains: entries(tally.domains),
                clients: tally.clients.top(5).map { .init(key: $0.key, count: $0.count) },
                clientCount: tally.clients.distinct, clientCountOverBound: tally.clients.overflow > 0,
                gatewayClients: tally.gatewayClients.sorted())
        }.sorted { ($0.kind, $0.name, $0.client ?? "") < ($1.kind, $1.name, $1.client ?? "") }
        var backscatter = BoundedCounter()
        for (domain, count) in notificationDomains.counts
        where !domain.isEmpty && !localDomains.contains(domain) && relayedDomains[domain] == 0 {
            backscatter.add(domain, count)
        }
        var byClients = BoundedCounter()
        for (account, clients) in accountClients where clients.distinct > 1 { byClients.add(account, clients.distinct) }
        let findings = self.findings(permissions: permissionRows, backscatter: backscatter)
        return AuditReport(
            window: .init(
                since: settings.since.map(LogTime.format), first: first.map(LogTime.format), last: last.map(LogTime.format),
                files: files, lines: lines, otherLines: otherLines, unparsedLines: unparsedLines),
            counts: counts, refusedByReason: entries(refusedByReason), relayPermissions: permissionRows,
            refusedRelayByIP: entries(refusedRelayByIP), authFailuresByIP: entries(authFailuresByIP),
            authFailuresByAccount: entries(authFailuresByAccount), bansByIP: entries(bansByIP),
            lockedAccounts: entries(lockedLogins), accountsByClients: entries(byClients),
            backscatterDomains: entries(backscatter), distinctBound: settings.distinctBound, findings: findings,
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
            found.append(
                .init(
                    severity: "critical", kind: "open_relay",
                    message: "\(openRelay.messages) message(s) (\(openRelay.recipients) recipient(s)) relayed with no "
                        + "permission recorded\(example)"))
        } else if openRelay.sentWithoutPermission > 0 {
            found.append(
                .init(
                    severity: "critical", kind: "open_relay",
                    message: "\(openRelay.sentWithoutPermission) recipient(s) sent to other domains with no permission recorded"))
        }
        found += gatewayRelays.findings()
        for permission in permissions where permission.distinctDomains > settings.manyDomainsThreshold {
            let count =
                permission.distinctDomainsOverBound ? "more than \(settings.distinctBound)" : "\(permission.distinctDomains)"
            found.append(
                .init(
                    severity: "warning", kind: "many_domains",
                    message: "\(describe(permission)) relayed to \(count) distinct domains "
                        + "(more than \(settings.manyDomainsThreshold)): a stolen password or an infected client?"))
        }
        for (account, clients) in accountClients.sorted(by: { $0.key < $1.key })
        where clients.distinct > settings.manyClientsThreshold {
            let count = clients.overflow > 0 ? "more than \(settings.distinctBound)" : "\(clients.distinct)"
            found.append(
                .init(
                    severity: "warning", kind: "many_clients",
                    message: "account \(account) logged in from \(count) different addresses (more than "
                        + "\(settings.manyClientsThreshold)): a stolen password? Change it and look at the addresses."))
        }
        for entry in lockedLogins.top(settings.tableRows) {
            found.append(
                .init(
                    severity: "warning", kind: "lockout",
                    message: "account \(entry.key) is locked after repeated authentication failures: \(entry.count) "
                        + "login(s) refused while locked (password guessing? its owner cannot log in meanwhile)"))
        }
        let hours = "\(pad(settings.nightHours.lowerBound)):00–\(pad(settings.nightHours.upperBound)):00 UTC"
        for permission in permissions where permission.kind == "client_network" && permission.nightRecipients > 0 {
            found.append(
                .init(
                    severity: "warning", kind: "night_relay",
                    message: "\(describe(permission)) relayed \(permission.nightRecipients) recipient(s) at night (\(hours))"))
        }
        let networks = permissions.filter { $0.kind == "client_network" }
        if !networks.isEmpty {
            if let listeners = settings.listeners {
                let exposed = listeners.filter(Self.isExposed)
                for network in networks where IPAddressRange(network.name)?.overlapsPrivateOrLoopback ?? false {
                    guard !exposed.isEmpty else { continue }
                    found.append(
                        .init(
                            severity: "warning", kind: "private_network_public_listener",
                            message: "\(describe(network)) is a private range while listening on "
                                + "\(exposed.joined(separator: ", ")) (a private address too, through a port forward): "
                                + "behind NAT every outside client may look trusted, so outsiders may have relayed as "
                                + "this network"))
                }
            } else {
                found.append(
                    .init(
                        severity: "note", kind: "listeners_unknown",
                        message: "listeners unknown (no readable sims.toml): private-range check skipped"))
            }
        }
        if backscatter.total > 0 {
            let domains = backscatter.top(3).map(\.key).joined(separator: ", ")
            found.append(
                .init(
                    severity: "warning", kind: "backscatter",
                    message: "\(backscatter.total) bounce(s) sent to domains never relayed to (\(domains)): "
                        + "backscatter to forged senders?"))
        }
        found += blindSpots().map { AuditReport.Finding(severity: "warning", kind: $0.kind, message: $0.message) }
        return found
    }

    /// Why this audit cannot see every relay: no log, or a level too low
    /// for an audited module (in sims.toml, or at a start within the window).
    func blindSpots() -> [(kind: String, message: String)] {
        var blind: [(kind: String, message: String)] = []
        let fix =
            "set [log] level (and any [log.modules] entry for these modules) to \(AuditedLogLevels.needed) or more "
            + "in sims.toml and restart"
        if !missingFiles.isEmpty {
            blind.append(
                (
                    "no_log",
                    "no log to read (\(missingFiles.joined(separator: ", ")) does not exist): is the server running with this "
                        + "data directory, and is [log] directory where it writes?"
                ))
        } else if lines == 0 {
            let since = settings.since.map { " since \(LogTime.format($0))" } ?? ""
            blind.append(("no_log", "the log has no line\(since): nothing shows what the server did"))
        }
        func describe(_ low: [(module: String, level: Int)]) -> String {
            low.map { "\($0.module) at level \($0.level)" }.joined(separator: ", ")
        }
        if let level = settings.logLevel {
            let low = AuditedLogLevels.tooLow(levels: settings.moduleLevels, defaultLevel: level)
            if !low.isEmpty {
                blind.append(
                    (
                        "low_log_level",
                        "sims.toml logs \(describe(low)): recipients' fates are logged at level \(AuditedLogLevels.needed), "
                            + "so this audit cannot see every relay; \(fix)"
                    ))
            }
        }
        var starts = levelsInWindow
        if let before = levelsBeforeWindow { starts.insert(before, at: 0) }
        for (index, start) in starts.enumerated() {
            let low = AuditedLogLevels.tooLow(levels: start.levels, defaultLevel: AuditedLogLevels.needed)
            guard !low.isEmpty else { continue }
            let until = index + 1 < starts.count ? "until the restart at \(LogTime.format(starts[index + 1].time))" : "since then"
            blind.append(
                (
                    "low_log_level",
                    "the server started at \(LogTime.format(start.time)) logging \(describe(low)) (\(until)): relays in that "
                        + "time may not be in the log; \(fix)"
                ))
        }
        return blind
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
        let blind = findings.filter { $0.kind == "low_log_level" || $0.kind == "no_log" }
        if let first = blind.first {
            return .init(status: "cannot_tell", text: "cannot tell whether this server relayed: " + first.message)
        }
        if let gateway = findings.first(where: { $0.kind == "gateway_relay" }) {
            return .init(status: "warning", text: "outsiders could relay through the NAT: " + gateway.message)
        }
        if let trap = findings.first(where: { $0.kind == "private_network_public_listener" }) {
            return .init(status: "warning", text: "outsiders may have relayed: " + trap.message)
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
        "many_clients": "an account used from many addresses",
        "lockout": "an account locked after repeated authentication failures",
        "night_relay": "client network relaying at night",
        "gateway_relay": "relaying for this host's default gateway (NAT)",
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

    /// A listener (`host:port`, `[::]:25` or a bare host) outside clients can
    /// reach: any but a loopback one. A private address is reachable too,
    /// through a port forward to it.
    static func isExposed(_ listener: String) -> Bool {
        let host: String
        if let parsed = ListenAddress(parsing: listener) {
            host = parsed.host
        } else {
            host = listener.hasPrefix("[") && listener.hasSuffix("]") ? String(listener.dropFirst().dropLast()) : listener
        }
        guard let address = IPAddress(host) else { return true }
        return !(IPAddressRange("127.0.0.0/8")?.contains(address) ?? false) && address != IPAddress("::1")
    }
}
