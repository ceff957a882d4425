/// An IPv4 or IPv6 address as its octets: what A and AAAA records carry and
/// what a PTR lookup starts from.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 octets for IPv4, 16 for IPv6, in network order.
    public let octets: [UInt8]

    /// An address from its octets; nil unless there are 4 or 16 of them.
    public init?(octets: [UInt8]) {
        guard octets.count == 4 || octets.count == 16 else { return nil }
        self.octets = octets
    }

    /// Reads a dotted quad (`192.0.2.1`) or an IPv6 address in any RFC 4291
    /// § 2.2 text form (`2001:db8::1`, `::ffff:192.0.2.1`). Zone indices and
    /// brackets are not accepted.
    public init?(_ text: String) {
        if let v4 = Self.parseIPv4(Substring(text)) {
            octets = v4
        } else if let v6 = Self.parseIPv6(text) {
            octets = v6
        } else {
            return nil
        }
    }

    public var isIPv4: Bool { octets.count == 4 }

    /// A dotted quad, or for IPv6 the RFC 5952 § 4 canonical form.
    public var description: String {
        if isIPv4 { return octets.map(String.init).joined(separator: ".") }
        return Self.formatIPv6(octets)
    }

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

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            // No leading zeros: "010" reads as 8 to some parsers and 10 to others.
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part == "0" || !part.hasPrefix("0"), let value = UInt8(part)
            else { return nil }
            result.append(value)
        }
        return result
    }

    private static func parseIPv6(_ text: String) -> [UInt8]? {
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: Substring, allowIPv4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, field) in fields.enumerated() {
                if allowIPv4, index == fields.count - 1, field.contains(".") {
                    guard let v4 = parseIPv4(field) else { return nil }
                    result.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    result.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                } else {
                    guard (1...4).contains(field.count), field.allSatisfy(\.isHexDigit),
                        let value = UInt16(field, radix: 16)
                    else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        let all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], allowIPv4: false), let tail = groups(halves[1], allowIPv4: true),
                head.count + tail.count < 8
            else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let only = groups(Substring(text), allowIPv4: true), only.count == 8 else { return nil }
            all = only
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// RFC 5952 § 4: lower-case hex without leading zeros, the longest run of
    /// two or more zero groups (the first if tied) shortened to `::`; and
    /// § 5: IPv4-mapped addresses end in a dotted quad.
    private static func formatIPv6(_ octets: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]) }
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
            return "::ffff:" + octets[12...].map(String.init).joined(separator: ".")
        }
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
