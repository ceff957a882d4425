/// The permission a `relayed:` or `sent:` line names, read back from its
/// words (`authenticated as alice@…`, `client network 192.168.0.0/24`,
/// `pop-before-smtp alice@… from 198.51.100.7, login 3m12s ago`, `bounce of S.…`).
public enum RelayGrant: Hashable, Sendable {
    case authenticated(account: String)
    case clientNetwork(entry: String)
    case popBeforeSMTP(account: String, client: String)
    /// A delivery status notification we send: not a relay.
    case bounce(of: String)
    /// Words the audit does not know: not a permission it can vouch for.
    case unknown(String)
    /// No permission at all: the open-relay case.
    case none

    public init(_ text: String) {
        let text = text.trimmingSpaces
        if text.isEmpty {
            self = .none
        } else if let account = text.removingPrefix("authenticated as ") {
            self = .authenticated(account: account)
        } else if let entry = text.removingPrefix("client network ") {
            self = .clientNetwork(entry: entry)
        } else if let rest = text.removingPrefix("pop-before-smtp ") {
            let parts = rest.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
            let account = parts.first.map(String.init) ?? ""
            var client = parts.count > 2 && parts[1] == "from" ? String(parts[2]) : ""
            if client.hasSuffix(",") { client.removeLast() }
            self = .popBeforeSMTP(account: account, client: client)
        } else if let id = text.removingPrefix("bounce of ") {
            self = .bounce(of: id)
        } else {
            self = .unknown(text)
        }
    }

    /// True for the permissions the server grants on purpose.
    public var isPermission: Bool {
        switch self {
        case .authenticated, .clientNetwork, .popBeforeSMTP: return true
        case .bounce, .unknown, .none: return false
        }
    }

    /// `authenticated`, `client_network`, `pop_before_smtp`, … (the JSON `kind`).
    public var kind: String {
        switch self {
        case .authenticated: return "authenticated"
        case .clientNetwork: return "client_network"
        case .popBeforeSMTP: return "pop_before_smtp"
        case .bounce: return "bounce"
        case .unknown: return "unknown"
        case .none: return "none"
        }
    }

    /// The account, network entry or words that identify this permission.
    public var name: String {
        switch self {
        case .authenticated(let account), .popBeforeSMTP(let account, _): return account
        case .clientNetwork(let entry): return entry
        case .bounce(let id): return id
        case .unknown(let text): return text
        case .none: return ""
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }

    func removingPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
