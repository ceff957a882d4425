import Foundation

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
            first = IPAddress(bytes: low)
            last = IPAddress(bytes: high)
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
