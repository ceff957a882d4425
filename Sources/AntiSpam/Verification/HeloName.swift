import MailCore

/// The argument of EHLO/HELO as RFC 5321 § 4.1.1.1 allows it: a domain or an
/// address literal.
enum HeloName: Hashable, Sendable {
    /// A domain, lower-cased, without a final dot.
    case domain(String)
    /// `[192.0.2.1]` or `[IPv6:2001:db8::1]`; also a bare address, which is
    /// not RFC syntax but common enough from small MTAs that it is read as
    /// the literal it means rather than refused.
    case literal(MailCore.IPAddress)

    init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
            var inner = Substring(trimmed.dropFirst().dropLast())
            // RFC 5321 § 4.1.3: IPv6 literals carry the "IPv6:" tag; IPv4 ones none.
            let tagged = inner.lowercased().hasPrefix("ipv6:")
            if tagged { inner = inner.dropFirst(5) }
            guard inner.contains(":") == tagged, let address = MailCore.IPAddress(String(inner)) else { return nil }
            self = .literal(address)
            return
        }
        if let address = MailCore.IPAddress(trimmed) {
            self = .literal(address)
            return
        }
        var name = Substring(trimmed)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard DomainSyntax.isValid(name, allowUTF8: false) else { return nil }
        self = .domain(name.lowercased())
    }
}

extension MailCore.IPAddress {
    /// 127.0.0.0/8 and ::1.
    var isLoopback: Bool {
        if isIPv4 { return bytes[12] == 127 }
        return bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
    }

    /// How the address is written in a Received header or reply: `[192.0.2.1]`, `[IPv6:2001:db8::1]`.
    var literalText: String { isIPv4 ? "[\(description)]" : "[IPv6:\(description)]" }
}
