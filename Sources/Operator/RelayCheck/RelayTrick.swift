/// One way of asking a server to relay: a MAIL FROM and a RCPT TO.
///
/// The battery is data, not code, so that it can be read, counted and tested
/// on its own; `RelayProbe` plays each one against a server.
public struct RelayTrick: Sendable, Hashable, Codable {
    /// What makes the trick a trick.
    public enum Family: String, Sendable, Hashable, Codable {
        /// An ordinary remote recipient (with a forged or odd sender): what any
        /// open relay accepts.
        case plain
        /// `user%remote@local`: the old sendmail "percent hack".
        case percentHack = "percent-hack"
        /// `remote!user`: UUCP bang paths.
        case bangPath = "bang-path"
        /// `@local:user@remote`: RFC 821 source routes (RFC 5321 § 4.1.1.3:
        /// "SHOULD NOT", servers must accept and may ignore them).
        case sourceRoute = "source-route"
        /// `"user@remote"@local` and friends: quoted local parts.
        case quoted
        /// `user@remote@local`: two at-signs.
        case doubleAt = "double-at"
        /// `user@[address]`: address literals.
        case addressLiteral = "address-literal"
    }

    /// A short stable name for scripts (`percent-hack-hostname`).
    public var id: String
    /// What the trick tries, for people.
    public var summary: String
    public var family: Family
    /// The reverse path without angle brackets; empty for the null sender `<>`.
    public var sender: String
    /// The forward path without angle brackets.
    public var recipient: String

    public init(id: String, summary: String, family: Family, sender: String, recipient: String) {
        self.id = id
        self.summary = summary
        self.family = family
        self.sender = sender
        self.recipient = recipient
    }

    public var mailCommand: String { "MAIL FROM:<\(sender)>" }
    public var rcptCommand: String { "RCPT TO:<\(recipient)>" }
}
