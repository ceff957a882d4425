/// The envelope senders an authenticated account may use.
///
/// Exact addresses (the account's own, its aliases, addresses added with
/// `sims account senders`) and the two patterns an operator can grant
/// (`*@domain`: every address of a domain; `*`: every address) are kept in
/// separate fields, so that no address — whatever characters a database or
/// a client puts into it — can ever be read as a pattern.
public struct SenderOwnership: Hashable, Sendable, ExpressibleByArrayLiteral {
    /// Lower-cased `local@domain` addresses, matched exactly.
    public var addresses: Set<String>
    /// Lower-cased domains of which every address may be used (`*@domain`).
    public var domains: Set<String>
    /// Every address may be used (`*`).
    public var anyAddress: Bool

    /// Owns nothing.
    public init() {
        self.init(addresses: [])
    }

    public init(addresses: Set<String>, domains: Set<String> = [], anyAddress: Bool = false) {
        self.addresses = addresses
        self.domains = domains
        self.anyAddress = anyAddress
    }

    /// Exact addresses only (tests and the simple case).
    public init(arrayLiteral elements: String...) {
        self.init(addresses: Set(elements.map { $0.lowercased() }))
    }

    /// Whether the account may use `mailbox` as its envelope sender.
    /// Local parts compare without case, as the directory stores them.
    public func owns(_ mailbox: Mailbox) -> Bool {
        if anyAddress { return true }
        if let name = mailbox.domain.name, domains.contains(name.lowercased()) { return true }
        return addresses.contains("\(mailbox.localPart.lowercased())@\(mailbox.domain.description.lowercased())")
    }

    /// The patterns and addresses as `sims account senders` shows them, sorted.
    public var listing: [String] {
        (anyAddress ? ["*"] : []) + domains.sorted().map { "*@\($0)" } + addresses.sorted()
    }
}
