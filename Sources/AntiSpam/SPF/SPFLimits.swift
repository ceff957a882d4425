/// The processing limits of RFC 7208 § 4.6.4, which keep one SPF check
/// from turning the receiver into a DNS amplifier.
public struct SPFLimits: Hashable, Sendable {
    /// Terms that cause DNS queries (include, a, mx, ptr, exists, redirect)
    /// per check, counting nested records: "MUST NOT exceed 10".
    public var dnsTerms: Int
    /// Lookups answering NXDOMAIN or no records: "SHOULD limit ... to two".
    public var voidLookups: Int
    /// Exchangers looked up for one "mx" mechanism; more is a permerror.
    public var mxNames: Int
    /// PTR names looked at for one "ptr" mechanism or %{p}; the rest are ignored.
    public var ptrNames: Int

    public init(dnsTerms: Int = 10, voidLookups: Int = 2, mxNames: Int = 10, ptrNames: Int = 10) {
        self.dnsTerms = dnsTerms
        self.voidLookups = voidLookups
        self.mxNames = mxNames
        self.ptrNames = ptrNames
    }

    /// The RFC's numbers.
    public static let rfc7208 = SPFLimits()
}
