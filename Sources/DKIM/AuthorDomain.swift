/// The domain of a message's author: the one mailbox of its one From field
/// (RFC 5322 § 3.6.2). The signer signs only for that domain, and DMARC
/// (RFC 7489 § 3.1.1) aligns with it, so the parse is strict: no From, two
/// From fields, a group, or more than one mailbox gives nil, never a guess.
public enum AuthorDomain {
    public static func domain(in fields: [DKIMHeaderField]) -> String? {
        let from = fields.filter { $0.name.caseInsensitiveCompare("From") == .orderedSame }
        guard from.count == 1, let only = from.first else { return nil }
        return domain(ofMailboxList: Array(only.value))
    }

    /// `Name <local@domain>`, `local@domain (comment)`, `"a, b" <x@y>`: the
    /// domain, lower-cased; nil for anything else.
    static func domain(ofMailboxList value: [UInt8]) -> String? {
        // Comments and quoted strings removed; what is left is examined.
        var plain: [UInt8] = []
        var inQuote = false
        var commentDepth = 0
        var escaped = false
        for byte in value where byte != 0x0D && byte != 0x0A {
            if escaped {
                escaped = false
                if !inQuote && commentDepth == 0 { plain.append(byte) }
                continue
            }
            if byte == UInt8(ascii: "\\") && (inQuote || commentDepth > 0) {
                escaped = true
                continue
            }
            if inQuote {
                if byte == UInt8(ascii: "\"") { inQuote = false; plain.append(UInt8(ascii: "Q")) }
                continue
            }
            if commentDepth > 0 {
                if byte == UInt8(ascii: "(") { commentDepth += 1 }
                if byte == UInt8(ascii: ")") { commentDepth -= 1 }
                plain.append(0x20)
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inQuote = true
            case UInt8(ascii: "("):
                commentDepth = 1
                plain.append(0x20)
            default: plain.append(byte)
            }
        }
        guard !inQuote, commentDepth == 0 else { return nil }
        // One mailbox: no list separator, no group.
        guard !plain.contains(UInt8(ascii: ",")), !plain.contains(UInt8(ascii: ";")),
            !plain.contains(UInt8(ascii: ":"))
        else { return nil }
        var address = plain[...]
        if let open = plain.firstIndex(of: UInt8(ascii: "<")) {
            guard plain.filter({ $0 == UInt8(ascii: "<") }).count == 1,
                let close = plain.firstIndex(of: UInt8(ascii: ">")), close > open,
                plain.filter({ $0 == UInt8(ascii: ">") }).count == 1,
                plain[(close + 1)...].allSatisfy({ $0 == 0x20 || $0 == 0x09 })
            else { return nil }
            address = plain[(open + 1)..<close]
        } else if plain.contains(UInt8(ascii: ">")) {
            return nil
        }
        let text = String(decoding: address, as: UTF8.self).trimmingWhiteSpace
        guard !text.contains(" "), !text.contains("\t") else { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { return nil }
        let domain = parts[1].lowercased()
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard !domain.isEmpty, domain.utf8.count <= 253,
            labels.allSatisfy({ label in
                !label.isEmpty && label.utf8.count <= 63
                    && label.utf8.allSatisfy {
                        $0 == UInt8(ascii: "-") || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 >= 0x80
                    }
            })
        else { return nil }
        return domain
    }
}
