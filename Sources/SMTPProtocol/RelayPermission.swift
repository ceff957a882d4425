import MailCore

/// The explicit, positive reason a client may send mail to a domain that is
/// not ours. There is no other way to relay.
public enum RelayPermission: Hashable, Sendable, CustomStringConvertible {
    /// The client's address is in `relay.client_networks`; carries the entry
    /// that matched, as the operator wrote it.
    case clientNetwork(String)
    /// The client authenticated (SMTP AUTH) as this account.
    case authenticated(String)
    /// A POP3 login of `account` from the client's address `loginAge` ago,
    /// within the POP-before-SMTP window (`relay.pop_before_smtp`).
    case popBeforeSMTP(account: String, address: String, loginAge: Duration)

    /// How the log and the queue name the permission: `client network 192.168.0.0/24`.
    /// Account names are written as `LogField` words, so the audit reads
    /// them back whatever they hold.
    public var description: String {
        switch self {
        case .clientNetwork(let entry): return "client network \(LogField.word(entry))"
        case .authenticated(let user): return "authenticated as \(LogField.word(user))"
        case .popBeforeSMTP(let account, let address, let age):
            return "pop-before-smtp \(LogField.word(account)) from \(LogField.word(address)), login \(age.shortText) ago"
        }
    }
}
