import Foundation
import MailCore

/// What greylisting remembers: the client's network, the envelope sender and
/// one recipient (RFC 6647 § 2.1), normalised so that a retry matches.
public struct GreylistTriplet: Hashable, Sendable, CustomStringConvertible {
    /// The client's network, e.g. `203.0.113.0/24` or `2001:db8:1:2::/64`.
    public var network: String
    /// The sender address in lower case; empty for `<>`.
    public var sender: String
    /// The recipient address in lower case.
    public var recipient: String

    /// `clientAddress` is masked to the prefix lengths in `settings`; an
    /// address that does not parse is used as it is.
    public init(clientAddress: String, sender: String, recipient: String, settings: GreylistSettings = GreylistSettings()) {
        self.network = Self.network(of: clientAddress, settings: settings)
        self.sender = Self.normalise(sender)
        self.recipient = Self.normalise(recipient)
    }

    public var description: String { "(\(network), \(LogField.address(sender)), \(LogField.address(recipient)))" }

    private static func normalise(_ address: String) -> String {
        var text = address.trimmingCharacters(in: .whitespaces).lowercased()
        if text.hasPrefix("<") && text.hasSuffix(">") { text = String(text.dropFirst().dropLast()) }
        return text
    }

    static func network(of address: String, settings: GreylistSettings) -> String {
        guard let parsed = MailCore.IPAddress(address) else { return address }
        let length = parsed.isIPv4 ? min(max(settings.ipv4PrefixLength, 0), 32) : min(max(settings.ipv6PrefixLength, 0), 128)
        let bits = parsed.isIPv4 ? length + 96 : length
        var bytes = parsed.bytes
        for index in 0..<16 {
            let keep = max(0, min(8, bits - index * 8))
            bytes[index] &= keep == 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        let text = MailCore.IPAddress(octets: bytes)?.description ?? address
        return "\(text)/\(length)"
    }
}
