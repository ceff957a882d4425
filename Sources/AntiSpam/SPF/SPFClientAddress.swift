import MailCore

/// The connecting client's address as SPF sees it: 4 octets for IPv4 and
/// for IPv4-mapped IPv6 (RFC 7208 § 5: "an IPv4-mapped IPv6 address ... MUST
/// be treated as an IPv4 address"), 16 otherwise.
struct SPFClientAddress: Hashable, Sendable {
    let octets: [UInt8]

    /// Parses with MailCore's `IPAddress`; `mapIPv4: false` keeps
    /// ::ffff:a.b.c.d as 16 octets (for ip6: networks in a record).
    init?(_ text: String, mapIPv4: Bool = true) {
        guard let parsed = MailCore.IPAddress(text) else { return nil }
        if parsed.isIPv4 && (mapIPv4 || !text.contains(":")) {
            octets = Array(parsed.bytes[12...])
        } else {
            octets = parsed.bytes
        }
    }

    var isIPv4: Bool { octets.count == 4 }

    /// Whether `other` (same family) shares the first `length` bits.
    func matches(_ other: [UInt8], prefixLength length: Int) -> Bool {
        guard other.count == octets.count else { return false }
        for bit in 0..<min(length, octets.count * 8) {
            let mask: UInt8 = 0x80 >> UInt8(bit % 8)
            if octets[bit / 8] & mask != other[bit / 8] & mask { return false }
        }
        return true
    }

    /// Whether an A or AAAA answer (text) is within the prefix.
    func matches(_ answer: String, ipv4Length: Int, ipv6Length: Int) -> Bool {
        guard let address = SPFClientAddress(answer, mapIPv4: false) else { return false }
        return matches(address.octets, prefixLength: isIPv4 ? ipv4Length : ipv6Length)
    }

    /// %{i}: dotted quad, or 32 dot-separated nibbles (§ 7.3). The RFC
    /// does not fix their case (its § 7.4 example is lower case); the RFC 7208
    /// test suite's v-macro-ip6 case expects upper case, as pyspf writes them.
    /// Names compare case-insensitively in DNS, so only explanations differ.
    var macroForm: String {
        if isIPv4 { return octets.map(String.init).joined(separator: ".") }
        return octets.flatMap { [String($0 >> 4, radix: 16, uppercase: true), String($0 & 0x0F, radix: 16, uppercase: true)] }
            .joined(separator: ".")
    }

    /// %{c} and client-ip=: dotted quad or RFC 5952 text, as MailCore's
    /// `IPAddress` writes it (octets are always 4 or 16, so never nil).
    var readableForm: String { MailCore.IPAddress(octets: octets)?.description ?? macroForm }
}
