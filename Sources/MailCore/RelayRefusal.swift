/// Why a recipient on another domain was refused relay: the detail the log
/// writes after `refused relay: ` (`RecipientFate.refusedRelay`) and the
/// reply the client gets. The server writes it, `sims audit` reads the
/// gateway case back (`gatewayClient(inDetail:)`): the words have this one owner.
public enum RelayRefusal: Hashable, Sendable {
    /// No positive reason at all: not authenticated, in no client network,
    /// no POP-before-SMTP login.
    case noPermission(client: String)
    /// The client is this host's default gateway, trusted only through a
    /// client network (or a POP-before-SMTP login) that covers it. Behind a
    /// port forward that masquerades the source (docker-proxy, many routers
    /// and load balancers) every outside client appears as the gateway, so
    /// trusting it makes an open relay. Only an entry naming the gateway
    /// alone in `relay.client_networks` trusts it.
    case defaultGateway(client: String)

    /// The log's detail, after `refused relay: `.
    public var detail: String {
        switch self {
        case .noPermission(let client):
            return "client \(client) is not authenticated and not in a client network"
        case .defaultGateway(let client):
            return "client \(client) \(Self.gatewayWords): behind a masquerading port forward every outside client "
                + "appears as the gateway; list \(client) in client_networks only if the gateway itself sends mail"
        }
    }

    /// What the client is told. The gateway case is 550 5.7.1 (RFC 5321's
    /// policy refusal of a recipient) and says why, for the operator who
    /// reads the gateway's own mail log.
    public var reply: SMTPReply {
        switch self {
        case .noPermission: return SMTPReply(554, .init(5, 7, 1), "Relay access denied")
        case .defaultGateway:
            return SMTPReply(
                550, .init(5, 7, 1), "Relay access denied: your address is this server's default gateway (NAT)")
        }
    }

    /// The words that mark the gateway refusal in a log line.
    public static let gatewayWords = "is this host's default gateway"

    /// The client of a gateway refusal's detail (`client 192.168.1.1 is this
    /// host's default gateway: …`), nil for any other detail.
    public static func gatewayClient(inDetail detail: some StringProtocol) -> String? {
        let text = Substring(detail)
        guard text.hasPrefix("client ") else { return nil }
        let rest = text.dropFirst("client ".count)
        guard let space = rest.firstIndex(of: " "), rest[space...].hasPrefix(" " + gatewayWords + ":") else { return nil }
        return String(rest[..<space])
    }
}
