/// `[antispam.greylisting]`: off by default, since it delays first mail from
/// every new correspondent.
public struct GreylistSettings: Hashable, Sendable {
    /// How long a new triplet is refused before a retry passes.
    public var delay: Duration = .seconds(5 * 60)
    /// How long after the first attempt a retry still counts; later, the
    /// triplet starts over (RFC 6647 § 4.2: senders retry for hours).
    public var retryWindow: Duration = .seconds(4 * 3600)
    /// How long a triplet that passed stays allowed after its last message.
    public var expiry: Duration = .seconds(35 * 24 * 3600)
    /// The IPv4 network a client is grouped by (RFC 6647 § 5: large senders
    /// retry from another address of the same farm).
    public var ipv4PrefixLength = 24
    /// The IPv6 network a client is grouped by.
    public var ipv6PrefixLength = 64
    /// Triplets remembered at most; the soonest to expire go first.
    public var capacity = 200_000

    public init() {}
}
