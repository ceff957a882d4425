/// Reads the text of one SPF record into an `SPFRecord`, enforcing the
/// ABNF of RFC 7208 § 4.6.1, § 5 and § 6 (a mistake anywhere is a permerror).
enum SPFRecordParser {
    /// Whether a TXT string is an SPF version 1 record: "v=spf1" in any
    /// case, followed by a space or the end (§ 4.5): "v=spf10" is not.
    static func isSPFRecord(_ text: String) -> Bool {
        let utf8 = Array(text.utf8.prefix(7))
        guard utf8.count >= 6, String(decoding: utf8.prefix(6), as: UTF8.self).lowercased() == "v=spf1" else { return false }
        return utf8.count == 6 || utf8[6] == 0x20
    }

    static func parse(_ text: String) throws(SPFSyntaxError) -> SPFRecord {
        // The record is ASCII and its terms are separated by spaces only
        // (§ 3.1, § 4.6.1): a tab, CR or non-ASCII byte is an error.
        guard text.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else {
            throw SPFSyntaxError("record contains a control or non-ASCII character")
        }
        var terms = text.split(separator: " ")
        guard let version = terms.first, version.lowercased() == "v=spf1" else { throw SPFSyntaxError("not an SPF record") }
        terms.removeFirst()
        var record = SPFRecord()
        for term in terms {
            if let (name, value) = modifier(term) {
                try addModifier(name: name, value: value, to: &record)
            } else {
                record.directives.append(try directive(term))
            }
        }
        return record
    }

    /// name "=" value when the part before the first "=" is a modifier name
    /// (ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )); nil for a directive.
    private static func modifier(_ term: Substring) -> (String, Substring)? {
        guard let equals = term.firstIndex(of: "=") else { return nil }
        let name = term[..<equals]
        guard let first = name.first, first.isASCII, first.isLetter,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else { return nil }
        return (name.lowercased(), term[term.index(after: equals)...])
    }

    private static func addModifier(name: String, value: Substring, to record: inout SPFRecord) throws(SPFSyntaxError) {
        switch name {
        case "redirect", "exp":
            let spec = try SPFMacroString(value)
            guard spec.isDomainSpec else { throw SPFSyntaxError("\(name)=\(value): not a domain-spec") }
            // "redirect" and "exp" "MUST NOT appear in a record more than once each" (§ 6).
            if name == "redirect" {
                guard record.redirect == nil else { throw SPFSyntaxError("more than one redirect= modifier") }
                record.redirect = spec
            } else {
                guard record.explanation == nil else { throw SPFSyntaxError("more than one exp= modifier") }
                record.explanation = spec
            }
        default:
            // Unknown modifiers are ignored, but must still be macro-strings (§ 6).
            _ = try SPFMacroString(value)
        }
    }

    private static func directive(_ term: Substring) throws(SPFSyntaxError) -> SPFRecord.Directive {
        var rest = term
        var qualifier = SPFRecord.Qualifier.pass
        if let first = rest.first, let explicit = SPFRecord.Qualifier(rawValue: first) {
            qualifier = explicit
            rest = rest.dropFirst()
        }
        let nameEnd = rest.firstIndex { $0 == ":" || $0 == "/" } ?? rest.endIndex
        let name = rest[..<nameEnd].lowercased()
        let argument = rest[nameEnd...]
        let mechanism: SPFRecord.Mechanism
        switch name {
        case "all":
            guard argument.isEmpty else { throw SPFSyntaxError("\(term): all takes no argument") }
            mechanism = .all
        case "include":
            mechanism = .include(try requiredDomain(argument, term))
        case "exists":
            mechanism = .exists(try requiredDomain(argument, term))
        case "a", "mx":
            let (domainPart, cidr) = try dualCIDR(argument, term)
            let domain = domainPart.isEmpty ? nil : try requiredDomain(domainPart, term)
            mechanism = name == "a" ? .a(domain, cidr) : .mx(domain, cidr)
        case "ptr":
            mechanism = .ptr(argument.isEmpty ? nil : try requiredDomain(argument, term))
        case "ip4", "ip6":
            mechanism = try network(argument, ipv6: name == "ip6", term)
        default:
            throw SPFSyntaxError("unknown mechanism \(term)")
        }
        return SPFRecord.Directive(qualifier: qualifier, mechanism: mechanism, text: String(term))
    }

    /// ":" domain-spec, which must not be empty.
    private static func requiredDomain(_ argument: Substring, _ term: Substring) throws(SPFSyntaxError) -> SPFMacroString {
        guard argument.first == ":", argument.count > 1 else { throw SPFSyntaxError("\(term): missing domain") }
        let spec = try SPFMacroString(argument.dropFirst())
        guard spec.isDomainSpec else { throw SPFSyntaxError("\(term): not a valid domain-spec") }
        return spec
    }

    /// Splits `[":" domain-spec] [ "/" ip4-len ] [ "//" ip6-len ]` from the end.
    private static func dualCIDR(_ argument: Substring, _ term: Substring) throws(SPFSyntaxError) -> (Substring, SPFRecord.CIDR) {
        var rest = argument
        var cidr = SPFRecord.CIDR()
        if let range = rest.range(of: "//", options: .backwards) {
            cidr.ipv6 = try prefixLength(rest[range.upperBound...], maximum: 128, term)
            rest = rest[..<range.lowerBound]
        }
        if let slash = rest.lastIndex(of: "/") {
            let digits = rest[rest.index(after: slash)...]
            // A slash inside a domain-spec ("a:foo/bar") is not a prefix length.
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) || rest.first != ":" {
                cidr.ipv4 = try prefixLength(digits, maximum: 32, term)
                rest = rest[..<slash]
            }
        }
        guard rest.isEmpty || rest.first == ":" else { throw SPFSyntaxError("\(term): invalid argument") }
        return (rest, cidr)
    }

    /// A prefix length: decimal, no leading zero, at most `maximum` (§ 5.6).
    private static func prefixLength(_ digits: Substring, maximum: Int, _ term: Substring) throws(SPFSyntaxError) -> Int {
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits == "0" || digits.first != "0",
            digits.count <= 3, let value = Int(digits), value <= maximum
        else { throw SPFSyntaxError("\(term): invalid prefix length") }
        return value
    }

    /// ip4-network / ip6-network with an optional prefix length (§ 5.6).
    private static func network(_ argument: Substring, ipv6: Bool, _ term: Substring) throws(SPFSyntaxError)
        -> SPFRecord.Mechanism
    {
        guard argument.first == ":" else { throw SPFSyntaxError("\(term): missing network") }
        var address = argument.dropFirst()
        var length = ipv6 ? 128 : 32
        if let slash = address.firstIndex(of: "/") {
            length = try prefixLength(address[address.index(after: slash)...], maximum: length, term)
            address = address[..<slash]
        }
        if ipv6 {
            guard address.contains(":"), let parsed = SPFClientAddress(String(address), mapIPv4: false), parsed.octets.count == 16
            else { throw SPFSyntaxError("\(term): invalid IPv6 network") }
            return .ip6(parsed.octets, length)
        }
        // qnum: decimal 0-255 without leading zeros, exactly four of them.
        let parts = address.split(separator: ".", omittingEmptySubsequences: false)
        let octets = parts.compactMap { part -> UInt8? in
            guard !part.isEmpty, part.count <= 3, part == "0" || part.first != "0", part.allSatisfy({ $0.isASCII && $0.isNumber })
            else { return nil }
            return UInt8(part)
        }
        guard parts.count == 4, octets.count == 4 else { throw SPFSyntaxError("\(term): invalid IPv4 network") }
        return .ip4(octets, length)
    }
}
