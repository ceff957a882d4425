/// Why a lookup produced no answer, as the mail queue needs to see it.
///
/// Only `nameDoesNotExist` is permanent: a queue that gets any other case
/// must defer the message and try again later (RFC 5321 § 4.5.4.1), because a
/// server that fails, times out or talks nonsense today may answer tomorrow.
public enum DNSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// NXDOMAIN (RFC 1035 § 4.1.1, RCODE 3), or a name that cannot exist
    /// because it cannot be written in the DNS wire format (an empty label,
    /// a label over 63 octets, a name over 255 octets). Permanent.
    case nameDoesNotExist(String)
    /// SERVFAIL, REFUSED or any other error RCODE, a CNAME chain that is too
    /// long, or no usable server. Temporary.
    case serverFailure(String)
    /// No server answered within the configured timeout and attempts. Temporary.
    case timeout(String)
    /// A reply that could not be decoded. Temporary: the next attempt may reach
    /// a server that behaves.
    case malformedResponse(String)

    /// Whether the caller should try again later rather than give up.
    public var isTemporary: Bool {
        switch self {
        case .nameDoesNotExist: return false
        case .serverFailure, .timeout, .malformedResponse: return true
        }
    }

    public var description: String {
        switch self {
        case .nameDoesNotExist(let name): return "\(name): no such domain (NXDOMAIN)"
        case .serverFailure(let detail): return "DNS server failure: \(detail)"
        case .timeout(let detail): return "DNS timeout: \(detail)"
        case .malformedResponse(let detail): return "malformed DNS response: \(detail)"
        }
    }
}
