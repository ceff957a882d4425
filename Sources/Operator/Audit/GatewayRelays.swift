import MailCore

/// The NAT trap in the log: relays and refused relay attempts of clients
/// that were this host's default gateway when they came. The server logs
/// its gateways at every start and when they change (`default gateways:
/// …`); behind a port forward that masquerades the source address every
/// outside client appears as the gateway, so a relay for it is a relay for
/// anyone outside.
struct GatewayRelays {
    /// The gateways as the server last logged them (normalized address text).
    var current: Set<String> = []
    /// Recipients relayed for a gateway through a client network that only
    /// covers it (a server without the guard): outsiders did relay.
    var covered = 0
    var coveredExample: String?
    /// Recipients relayed for a gateway that `client_networks` names alone:
    /// the operator meant it, and outsiders could relay if the forward masquerades.
    var explicit = 0
    var clients = BoundedCounter(capacity: 100)
    /// Relay attempts the server refused because the client was its gateway.
    var refused = BoundedCounter(capacity: 100)

    mutating func gatewaysLogged(_ addresses: [String]) {
        current = Set(addresses.compactMap { IPAddress($0)?.description })
    }

    /// Whether `client` is a gateway now.
    func isGateway(_ client: String) -> Bool {
        guard !current.isEmpty, let address = IPAddress(client) else { return false }
        return current.contains(address.description)
    }

    /// Counts a relay under `grant` for `client`; true when the client was a
    /// gateway and the permission came from its address (AUTH names an
    /// account and is not the trap).
    mutating func relayed(_ grant: RelayGrant, client: String, line: String) -> Bool {
        guard isGateway(client) else { return false }
        switch grant {
        case .clientNetwork(let entry):
            if let range = IPAddressRange(entry), range.first == range.last, range.first == IPAddress(client) {
                explicit += 1
            } else {
                covered += 1
                if coveredExample == nil { coveredExample = line }
            }
        case .popBeforeSMTP:
            covered += 1
            if coveredExample == nil { coveredExample = line }
        case .authenticated, .bounce, .unknown, .none:
            return false
        }
        clients.add(client)
        return true
    }

    /// The findings: a relay through a covering network is an open relay
    /// through the NAT; one through an explicit entry a warning; refusals a note.
    func findings() -> [AuditReport.Finding] {
        var found: [AuditReport.Finding] = []
        let who = clients.top(5).map(\.key).joined(separator: ", ")
        let trap =
            "behind a masquerading port forward every outside client appears as the gateway, so outsiders could "
            + "relay through the NAT"
        if covered > 0 {
            let example = coveredExample.map { ", e.g. \($0)" } ?? ""
            found.append(
                .init(
                    severity: "critical", kind: "gateway_relay",
                    message: "\(covered) recipient(s) relayed for this host's default gateway (\(who)) through a client "
                        + "network that only covers it: \(trap)\(example)"))
        }
        if explicit > 0 {
            found.append(
                .init(
                    severity: "warning", kind: "gateway_relay",
                    message: "\(explicit) recipient(s) relayed for this host's default gateway (\(who)), which "
                        + "client_networks lists alone: \(trap) if the port forward masquerades; keep the entry only "
                        + "if the gateway itself sends mail"))
        }
        if refused.total > 0 {
            let refusedClients = refused.top(5).map(\.key).joined(separator: ", ")
            found.append(
                .init(
                    severity: "note", kind: "gateway_refused",
                    message: "\(refused.total) relay attempt(s) from this host's default gateway (\(refusedClients)) "
                        + "refused: a client network covers it without naming it alone, and outside clients behind a "
                        + "masquerading port forward appear as the gateway; right unless the gateway itself sends mail"))
        }
        return found
    }
}
