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
public enum RelayDecision {
    /// The permission a client has to relay, nil when it has none.
    ///
    /// - Parameters:
    ///   - authenticatedUser: the account the session authenticated as, if any.
    ///   - clientAddress: the client's address as text (IPv4-mapped IPv6 is the IPv4 client).
    ///   - clientNetworks: `relay.client_networks`.
    ///   - grant: the POP-before-SMTP table's answer for this client, if any;
    ///     asked only when neither of the stronger reasons holds (the table
    ///     checks the account's credentials in the directory).
    public static func permission(
        authenticatedUser: String?, clientAddress: String, clientNetworks: [IPAddressRange],
        popBeforeSMTP grant: @autoclosure () -> RelayPermissionGrant?
    ) -> RelayPermission? {
        if let authenticatedUser { return .authenticated(authenticatedUser) }
        guard let address = IPAddress(clientAddress) else { return nil }
        if let network = clientNetwork(containing: address, in: clientNetworks) { return .clientNetwork(network.text) }
        if let grant = grant(), IPAddress(grant.address) == address {
            return .popBeforeSMTP(account: grant.account, address: grant.address, loginAge: grant.age)
        }
        return nil
    }

    /// The first of `networks` that holds `address`: the client-network
    /// match, also used by `SMTPPolicy` to exempt these clients from the checks.
    static func clientNetwork(containing address: IPAddress, in networks: [IPAddressRange]) -> IPAddressRange? {
        networks.first { $0.contains(address) }
    }
}
