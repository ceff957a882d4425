import Foundation

/// An IP address as 16 bytes (IPv4 as an IPv4-mapped IPv6 address), so that
/// one comparison works for both families.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let bytes: [UInt8]
    public let isIPv4: Bool

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (no brackets, no zone).
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let raw = withUnsafeBytes(of: &v4) { Array($0) }
            bytes = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + raw
            isIPv4 = true
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let raw = withUnsafeBytes(of: &v6) { Array($0) }
        // An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is the IPv4 client it maps.
        isIPv4 = raw[0..<10].allSatisfy { $0 == 0 } && raw[10] == 0xFF && raw[11] == 0xFF
        bytes = raw
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public var description: String {
        if isIPv4 { return bytes[12...].map(String.init).joined(separator: ".") }
        var storage = in6_addr()
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A set of client addresses written as in the original product's client
/// list: a single address (`192.0.2.7`, `2001:db8::7`), a CIDR block
/// (`192.168.0.0/24`, `2001:db8::/32`) or an inclusive range
/// (`192.168.0.100-192.168.0.199`).
public struct IPAddressRange: Hashable, Sendable, CustomStringConvertible {
    public let first: IPAddress
    public let last: IPAddress
    /// The entry as the operator wrote it, for logs ("client network 192.168.0.0/24").
    public let text: String

    public init?(_ rawText: String) {
        let text = rawText.trimmingCharacters(in: .whitespaces)
        if let dash = text.firstIndex(of: "-") {
            guard let first = IPAddress(String(text[..<dash]).trimmingCharacters(in: .whitespaces)),
                let last = IPAddress(String(text[text.index(after: dash)...]).trimmingCharacters(in: .whitespaces)),
                first.isIPv4 == last.isIPv4, first <= last
            else { return nil }
            (self.first, self.last, self.text) = (first, last, text)
            return
        }
        if let slash = text.firstIndex(of: "/") {
            guard let base = IPAddress(String(text[..<slash])), let length = Int(text[text.index(after: slash)...]) else {
                return nil
            }
            let bits = base.isIPv4 ? length + 96 : length
            guard length >= 0, bits <= 128, length <= (base.isIPv4 ? 32 : 128) else { return nil }
            var low = base.bytes
            var high = base.bytes
            for index in 0..<16 {
                let keep = max(0, min(8, bits - index * 8))
                let mask: UInt8 = keep == 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
                low[index] &= mask
                high[index] |= ~mask
            }
            // A block written with host bits set (192.168.0.1/24) is almost
            // always a typo for a single address or the wrong prefix: refuse it.
            guard low == base.bytes else { return nil }
            first = IPAddress(bytes: low, isIPv4: base.isIPv4)
            last = IPAddress(bytes: high, isIPv4: base.isIPv4)
            self.text = text
            return
        }
        guard let single = IPAddress(text) else { return nil }
        (first, last, self.text) = (single, single, text)
    }

    public func contains(_ address: IPAddress) -> Bool { first <= address && address <= last }

    /// True for 0.0.0.0/0, ::/0 and every other spelling of "everyone".
    public var coversEverything: Bool {
        let allIPv4 = first.isIPv4 && first.bytes[12...].allSatisfy { $0 == 0 } && last.bytes[12...].allSatisfy { $0 == 0xFF }
        let allIPv6 = first.bytes.allSatisfy { $0 == 0 } && last.bytes.allSatisfy { $0 == 0xFF }
        return allIPv4 || allIPv6
    }

    public var description: String { text }

    /// True if any part of the range is loopback, RFC 1918 private, link-local,
    /// CGNAT (100.64/10) or IPv6 unique-local: addresses that NAT can make
    /// every outside client appear to come from.
    public var overlapsPrivateOrLoopback: Bool {
        Self.privateBlocks.contains { block in block.first <= last && first <= block.last }
    }

    /// True if the whole range lies inside one of those blocks.
    public var isInsidePrivateBlock: Bool {
        Self.privateBlocks.contains { block in block.first <= first && last <= block.last }
    }

    static let privateBlocks: [IPAddressRange] = [
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
        "::1", "fc00::/7", "fe80::/10",
    ].compactMap { IPAddressRange($0) }
}

extension IPAddress {
    init(bytes: [UInt8], isIPv4: Bool) {
        self.bytes = bytes
        self.isIPv4 = isIPv4
    }
}
