import Foundation
import MailCore

/// The DNS names blocklists are asked about (RFC 5782 § 2).
public enum BlocklistQueryName {
    /// The name for a client address under `zone`.
    ///
    /// RFC 5782 § 2.1: "the octets of the IP address are reversed"
    /// (`192.0.2.99` → `99.2.0.192.zone`). § 2.4: an IPv6 address is "a
    /// sequence of 32 nibbles in reverse order", lowercase hex, dot-separated.
    /// An IPv4-mapped IPv6 address (`::ffff:192.0.2.99`, how a dual-stack
    /// socket reports an IPv4 client) is looked up as the IPv4 address it is.
    public static func forAddress(_ address: MailCore.IPAddress, zone: String) -> String {
        let zone = normalizedDomain(zone)
        if address.isIPv4 {
            return address.bytes[12...].reversed().map(String.init).joined(separator: ".") + "." + zone
        }
        let hex = Array("0123456789abcdef")
        let nibbles = address.bytes.reversed().flatMap { [hex[Int($0 & 0x0F)], hex[Int($0 >> 4)]] }
        return nibbles.map(String.init).joined(separator: ".") + "." + zone
    }

    /// The name for a domain under an RHSBL `zone`: RFC 5782 § 2.2 puts the
    /// domain as it is in front of the zone; DNS names are case-insensitive,
    /// so it is lowercased, and a trailing dot (an absolute name) removed.
    public static func forDomain(_ domain: String, zone: String) -> String {
        normalizedDomain(domain) + "." + normalizedDomain(zone)
    }

    /// Lowercased, surrounding whitespace and one trailing dot removed.
    public static func normalizedDomain(_ text: String) -> String {
        var name = text.trimmingCharacters(in: .whitespaces).lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }
}
