/// What the directory knows about a recipient address.
public enum LocalResolution: Hashable, Sendable {
    /// A local address; deliver to these accounts (canonical `user@domain`).
    case accounts([String])
    /// The domain is ours but nobody by that name lives here.
    case unknownUser
    /// The domain is not one of ours (or the address is an IP literal).
    case notLocal
}
