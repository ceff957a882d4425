/// Domain-name rules SPF applies to <domain> and to expanded target names.
enum SPFDomainName {
    /// RFC 7208 § 4.3: a domain that is malformed ("label longer than 63
    /// characters, zero-length label not at the end, etc.") or not a
    /// multi-label name gives "none". Address literals and IP-like names
    /// (all-numeric last label) are not domains either.
    static func isValid(_ domain: String) -> Bool {
        var name = Substring(domain)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253, !name.hasPrefix("[") else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 }), let last = labels.last else {
            return false
        }
        return !last.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// § 7.3: an expanded name over 253 characters loses labels from the
    /// left until it fits; a trailing dot is dropped for the query.
    static func truncated(_ expanded: String) -> String {
        var name = Substring(expanded)
        if name.hasSuffix(".") { name = name.dropLast() }
        while name.utf8.count > 253, let dot = name.firstIndex(of: ".") {
            name = name[name.index(after: dot)...]
        }
        return String(name)
    }

    /// Case-insensitive equality or subdomain, ignoring a trailing dot.
    static func isSame(_ name: String, orSubdomainOf parent: String) -> Bool {
        let child = truncated(name).lowercased()
        let parent = truncated(parent).lowercased()
        return child == parent || child.hasSuffix("." + parent)
    }
}
