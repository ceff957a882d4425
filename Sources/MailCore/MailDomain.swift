/// The domain part of a mailbox: either a host name or an address literal.
public enum MailDomain: Hashable, Sendable, CustomStringConvertible {
    /// A domain name, stored lower-cased (DNS names compare case-insensitively).
    case name(String)
    /// RFC 5321 § 4.1.3 address literal, stored without the brackets,
    /// e.g. `192.0.2.1` or `IPv6:2001:db8::1`.
    case addressLiteral(String)

    public var description: String {
        switch self {
        case .name(let name): return name
        case .addressLiteral(let literal): return "[\(literal)]"
        }
    }

    /// The domain name, or nil for an address literal.
    public var name: String? {
        if case .name(let name) = self { return name }
        return nil
    }
}

/// RFC 5321 § 4.1.2 domain syntax:
///
///     Domain     = sub-domain *("." sub-domain)
///     sub-domain = Let-dig [Ldh-str]
///     Ldh-str    = *( ALPHA / DIGIT / "-" ) Let-dig
///
/// With SMTPUTF8 (RFC 6531 § 3.3) a sub-domain may also be a U-label; we accept
/// any non-ASCII scalar in a label then, and leave IDNA validation to DNS.
public enum DomainSyntax {
    public static let maximumLength = 255
    public static let maximumLabelLength = 63

    public static func isValid(_ domain: Substring, allowUTF8: Bool) -> Bool {
        if domain.isEmpty || domain.utf8.count > maximumLength { return false }
        var labelLength = 0
        var previous: Character? = nil
        for character in domain {
            if character == "." {
                // Empty labels (leading, trailing or doubled dots) are not allowed:
                // a trailing dot must never make "remote.test." look different
                // from "remote.test".
                if labelLength == 0 || previous == "-" { return false }
                labelLength = 0
                previous = character
                continue
            }
            let isLetterOrDigit = character.isASCII && (character.isLetter || character.isNumber)
            let isUTF8 = allowUTF8 && !character.isASCII
            if character == "-" {
                if labelLength == 0 { return false }
            } else if !(isLetterOrDigit || isUTF8) {
                return false
            }
            labelLength += 1
            if labelLength > maximumLabelLength { return false }
            previous = character
        }
        return labelLength > 0 && previous != "-"
    }
}
