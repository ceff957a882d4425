import MailCore
import SMTPProtocol

/// Decides whether a client may relay, and names the reason.
///
/// This is the one place a `RelayPermission` is made (promise 1: relaying
/// needs an explicit, positive reason). It is a pure function of what the
/// connection knows at RCPT time, so every case can be tested with plain
/// values. The strongest reason wins, because it is the one the log and the
/// queue name:
///
/// 1. the client authenticated (SMTP AUTH) — the account is named;
/// 2. its address is in `relay.client_networks` — the first entry that
///    matches, as the operator wrote it;
/// 3. a POP3 login from the same address within the POP-before-SMTP window
///    (`relay.pop_before_smtp`) — a grant for any other address is ignored.
///
/// Anything else is no permission: the recipient must be local.
///
/// The NAT trap: behind a port forward that masquerades the source address
/// (docker-proxy, many home routers, load balancers) every outside client
/// appears to come from this host's default gateway. A client network that
/// merely covers the gateway (`192.168.1.0/24` around `192.168.1.1`) would
/// make the whole internet a relay client, so an address in `gateways` is
/// trusted only by an entry that names it alone (`192.168.1.1`,
/// `192.168.1.1/32`), and a POP-before-SMTP login from it opens nothing (any
/// outside client behind the same masquerade would inherit it). SMTP AUTH
/// from the gateway is still a permission: it names an account.
public enum RelayDecision {
    /// A permission, or why there is none.
    public enum Outcome: Hashable, Sendable {
        case permitted(RelayPermission)
        case refused(RelayRefusal)

        public var permission: RelayPermission? {
            if case .permitted(let permission) = self { return permission }
            return nil
        }

        public var refusal: RelayRefusal? {
            if case .refused(let refusal) = self { return refusal }
            return nil
        }
    }

    /// The permission a client has to relay, or the reason it has none.
    ///
    /// - Parameters:
    ///   - authenticatedUser: the account the session authenticated as, if any.
    ///   - clientAddress: the client's address as text (IPv4-mapped IPv6 is the IPv4 client).
    ///   - clientNetworks: `relay.client_networks`.
    ///   - gateways: this host's default gateways (the next hops of the
    ///     default routes), trusted only when listed alone.
    ///   - grant: the POP-before-SMTP table's answer for this client, if any;
    ///     asked only when neither of the stronger reasons holds (the table
    ///     checks the account's credentials in the directory).
    public static func permission(
        authenticatedUser: String?, clientAddress: String, clientNetworks: [IPAddressRange],
        gateways: Set<IPAddress> = [], popBeforeSMTP grant: @autoclosure () -> RelayPermissionGrant?
    ) -> Outcome {
        if let authenticatedUser { return .permitted(.authenticated(authenticatedUser)) }
        let none = Outcome.refused(.noPermission(client: clientAddress))
        guard let address = IPAddress(clientAddress) else { return none }
        if let network = trustedEntry(containing: address, in: clientNetworks, gateways: gateways) {
            return .permitted(.clientNetwork(network.text))
        }
        func grantForThisAddress() -> RelayPermissionGrant? {
            guard let grant = grant(), IPAddress(grant.address) == address else { return nil }
            return grant
        }
        if gateways.contains(address) {
            // Something would have trusted it but for being the gateway:
            // say so, with the fix; otherwise it is an ordinary outsider.
            let covered = clientNetworks.contains { $0.contains(address) }
            return covered || grantForThisAddress() != nil ? .refused(.defaultGateway(client: clientAddress)) : none
        }
        if let grant = grantForThisAddress() {
            return .permitted(.popBeforeSMTP(account: grant.account, address: grant.address, loginAge: grant.age))
        }
        return none
    }

    /// The first of `networks` that trusts `address`: the first entry that
    /// holds it, except for a gateway, which only an entry holding nothing
    /// else trusts. The relay permission and the anti-spam exemption
    /// (`SMTPPolicy`) both ask this.
    public static func trustedEntry(
        containing address: IPAddress, in networks: [IPAddressRange], gateways: Set<IPAddress>
    ) -> IPAddressRange? {
        if gateways.contains(address) { return networks.first { $0.first == address && $0.last == address } }
        return networks.first { $0.contains(address) }
    }
}
