/// One MX record (RFC 1035 § 3.3.9).
public struct MXRecord: Hashable, Sendable {
    /// Lower is more preferred.
    public var preference: UInt16
    /// The exchanger's host name without the final dot; `.` for the root,
    /// which is what a null MX (RFC 7505) points to.
    public var exchange: String

    public init(preference: UInt16, exchange: String) {
        self.preference = preference
        self.exchange = exchange
    }
}

/// The lookups mail delivery needs. `StubResolver` is the real one; tests
/// substitute fakes.
///
/// Every method returns `[]` when the name exists but has no records of the
/// type (NODATA), and throws `.nameDoesNotExist` when the name does not exist
/// (NXDOMAIN), so callers can tell "no MX" from "no such domain".
public protocol DNSResolving: Sendable {
    /// MX records in the order the server gave them; sorting is the caller's.
    func mx(_ name: String) async throws(DNSError) -> [MXRecord]
    /// IPv4 addresses as dotted quads.
    func a(_ name: String) async throws(DNSError) -> [String]
    /// IPv6 addresses in RFC 5952 text form.
    func aaaa(_ name: String) async throws(DNSError) -> [String]
    /// One string per TXT record, its character-strings joined without
    /// separators (RFC 7208 § 3.3 reads SPF records that way).
    func txt(_ name: String) async throws(DNSError) -> [String]
    /// Names for an IPv4 or IPv6 address, looked up under in-addr.arpa or
    /// ip6.arpa.
    func ptr(_ address: String) async throws(DNSError) -> [String]
}
