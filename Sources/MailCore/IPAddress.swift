/// An IPv4 or IPv6 address: what A and AAAA records carry, what a client
/// connects from, what a client-network entry or an address literal names.
///
/// Kept as 16 bytes, IPv4 as its IPv4-mapped IPv6 form (RFC 4291 § 2.5.5.2),
/// so that one comparison works for both families and `::ffff:192.0.2.7` is
/// the same client as `192.0.2.7`: a client reaching a dual-stack listener
/// must not escape a ban or a limit keyed on its dotted quad.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// 16 bytes in network order; an IPv4 address as `::ffff:a.b.c.d`.
    public let bytes: [UInt8]
    /// True for an IPv4 address, however it was written.
    public let isIPv4: Bool

    /// Reads a dotted quad (`192.0.2.1`) or an IPv6 address in any RFC 4291
    /// § 2.2 text form (`2001:db8::1`, `::ffff:192.0.2.1`). Zone indices,
    /// brackets and leading zeros in a dotted quad are not accepted.
    public init?(_ text: String) {
        if let v4 = Self.parseIPv4(Substring(text)) {
            self.init(octets: v4)
        } else if let v6 = Self.parseIPv6(text) {
            self.init(octets: v6)
        } else {
            return nil
        }
    }

    /// An address from its octets as a record carries them; nil unless there
    /// are 4 or 16 of them.
    public init?(octets: [UInt8]) {
        switch octets.count {
        case 4: self.init(bytes: Self.mappedPrefix + octets)
        case 16: self.init(bytes: octets)
        default: return nil
        }
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
        isIPv4 = bytes[0..<12].elementsEqual(Self.mappedPrefix)
    }

    /// 4 octets for IPv4, 16 for IPv6: what an A or AAAA record holds.
    public var octets: [UInt8] { isIPv4 ? Array(bytes[12...]) : bytes }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    /// A dotted quad, or for IPv6 the RFC 5952 § 4 canonical form.
    public var description: String {
        if isIPv4 { return bytes[12...].map(String.init).joined(separator: ".") }
        return Self.formatIPv6(bytes)
    }

    private static let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF]

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
                    guard (1...4).contains(field.count), field.allSatisfy({ $0.isASCII && $0.isHexDigit }),
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
    /// two or more zero groups (the first if tied) shortened to `::`.
    private static func formatIPv6(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
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
