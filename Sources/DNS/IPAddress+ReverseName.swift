import MailCore

extension IPAddress {
    /// The name a PTR lookup asks for: `d.c.b.a.in-addr.arpa` (RFC 1035
    /// § 3.5) or the 32 nibbles, last first, under `ip6.arpa` (RFC 3596 § 2.5).
    public var reverseName: DNSName {
        var labels: [[UInt8]]
        if isIPv4 {
            labels = octets.reversed().map { Array(String($0).utf8) }
            labels += [Array("in-addr".utf8), Array("arpa".utf8)]
        } else {
            let hex = Array("0123456789abcdef".utf8)
            labels = octets.reversed().flatMap { [[hex[Int($0 & 0x0F)]], [hex[Int($0 >> 4)]]] }
            labels += [Array("ip6".utf8), Array("arpa".utf8)]
        }
        // At most 34 short labels: always within the RFC 1035 limits, so
        // the fallback (the root) is never taken; it only keeps a trap out.
        return (try? DNSName(labels: labels)) ?? DNSName.root
    }
}
