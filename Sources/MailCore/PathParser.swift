import Foundation

/// Why a path could not be parsed, precise enough to choose the reply.
public enum PathSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    case missingAngleBrackets
    case emptyPath
    case badSourceRoute
    case badLocalPart
    case localPartTooLong
    case missingDomain
    case badDomain
    case badAddressLiteral
    case trailingGarbage
    case pathTooLong
    /// Non-ASCII in an address without the SMTPUTF8 parameter (RFC 6531 § 3.4).
    case needsSMTPUTF8

    public var description: String {
        switch self {
        case .missingAngleBrackets: return "address must be enclosed in <>"
        case .emptyPath: return "empty address"
        case .badSourceRoute: return "malformed source route"
        case .badLocalPart: return "malformed local part"
        case .localPartTooLong: return "local part longer than 64 octets"
        case .missingDomain: return "address has no domain"
        case .badDomain: return "malformed domain"
        case .badAddressLiteral: return "malformed address literal"
        case .trailingGarbage: return "unexpected characters after address"
        case .pathTooLong: return "address longer than 256 octets"
        case .needsSMTPUTF8: return "non-ASCII address without SMTPUTF8"
        }
    }
}

/// A strict RFC 5321 § 4.1.2 path parser.
///
/// Strictness is a security property here: relay decisions are made on the
/// domain this parser returns, so anything ambiguous (`a@b@c`, a trailing dot,
/// bare `!` paths without a domain) is a syntax error, never a guess.
/// Source routes are accepted and ignored as § 4.1.1.3 and Appendix C require,
/// so `<@local:user@remote>` is a path to `user@remote`.
public enum PathParser {
    public static let maximumPathLength = 256
    public static let maximumLocalPartLength = 64

    /// Parses `<path>` at the start of `text` and returns it with the rest of
    /// the text (the ESMTP parameters, leading spaces removed).
    public static func parse(
        _ text: Substring, allowNull: Bool, allowUTF8: Bool
    ) throws(PathSyntaxError) -> (path: EnvelopePath, rest: Substring) {
        guard text.first == "<" else { throw .missingAngleBrackets }
        guard let close = closingBracket(in: text) else { throw .missingAngleBrackets }
        let inner = text[text.index(after: text.startIndex)..<close]
        var rest = text[text.index(after: close)...]
        if let first = rest.first, first != " " { throw .trailingGarbage }
        rest = rest.drop(while: { $0 == " " })
        if inner.utf8.count + 2 > maximumPathLength { throw .pathTooLong }
        if inner.isEmpty {
            guard allowNull else { throw .emptyPath }
            return (.null, rest)
        }
        if !allowUTF8 && !inner.unicodeScalars.allSatisfy(\.isASCII) { throw .needsSMTPUTF8 }
        if inner.lowercased() == "postmaster" { return (.localPostmaster, rest) }
        let mailboxText = try stripSourceRoute(inner, allowUTF8: allowUTF8)
        return (.mailbox(try parseMailbox(mailboxText, allowUTF8: allowUTF8)), rest)
    }

    /// Finds the `>` that closes the path, skipping quoted strings so that
    /// `<"a>b"@c>` is read correctly.
    private static func closingBracket(in text: Substring) -> Substring.Index? {
        var inQuotes = false
        var escaped = false
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let character = text[index]
            if escaped {
                escaped = false
            } else if inQuotes && character == "\\" {
                escaped = true
            } else if character == "\"" {
                inQuotes.toggle()
            } else if character == ">" && !inQuotes {
                return index
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// `A-d-l = At-domain *( "," At-domain )`, followed by ":".
    private static func stripSourceRoute(_ inner: Substring, allowUTF8: Bool) throws(PathSyntaxError) -> Substring {
        guard inner.first == "@" else { return inner }
        guard let colon = inner.firstIndex(of: ":") else { throw .badSourceRoute }
        let route = inner[..<colon]
        for hop in route.split(separator: ",", omittingEmptySubsequences: false) {
            guard hop.first == "@" else { throw .badSourceRoute }
            let domain = hop.dropFirst()
            if !(DomainSyntax.isValid(domain, allowUTF8: allowUTF8) || isAddressLiteral(domain)) {
                throw .badSourceRoute
            }
        }
        return inner[inner.index(after: colon)...]
    }

    /// `Mailbox = Local-part "@" ( Domain / address-literal )`.
    public static func parseMailbox(_ text: Substring, allowUTF8: Bool) throws(PathSyntaxError) -> Mailbox {
        let (localPart, afterLocal) = try parseLocalPart(text, allowUTF8: allowUTF8)
        guard afterLocal.first == "@" else {
            throw afterLocal.isEmpty ? .missingDomain : .badLocalPart
        }
        let domainText = afterLocal.dropFirst()
        if domainText.first == "[" {
            guard domainText.last == "]", isAddressLiteral(domainText) else { throw .badAddressLiteral }
            return Mailbox(localPart: localPart, domain: .addressLiteral(String(domainText.dropFirst().dropLast())))
        }
        // A second "@" (user@remote@local) lands here and is refused.
        guard DomainSyntax.isValid(domainText, allowUTF8: allowUTF8) else { throw .badDomain }
        return Mailbox(localPart: localPart, domain: .name(domainText.lowercased()))
    }

    /// `Local-part = Dot-string / Quoted-string`; returns the decoded local
    /// part and the text after it.
    private static func parseLocalPart(
        _ text: Substring, allowUTF8: Bool
    ) throws(PathSyntaxError) -> (String, Substring) {
        // Walk Unicode scalars, never grapheme clusters: a combining mark
        // must stay part of the local part, not vanish into the character
        // before it ("jose\u{301}" is not "jose").
        let scalars = text.unicodeScalars
        var decoded = ""
        var index = scalars.startIndex
        if scalars.first == "\"" {
            index = scalars.index(after: index)
            var closed = false
            while index < scalars.endIndex {
                let scalar = scalars[index]
                if scalar == "\"" {
                    closed = true
                    index = scalars.index(after: index)
                    break
                }
                if scalar == "\\" {
                    // quoted-pairSMTP = %d92 %d32-126
                    let next = scalars.index(after: index)
                    guard next < scalars.endIndex else { throw .badLocalPart }
                    let escaped = scalars[next]
                    guard (32...126).contains(escaped.value) else { throw .badLocalPart }
                    decoded.unicodeScalars.append(escaped)
                    index = scalars.index(after: next)
                    continue
                }
                // qtextSMTP = %d32-33 / %d35-91 / %d93-126, plus UTF-8 with SMTPUTF8.
                let isQtext = (32...126).contains(scalar.value) && scalar != "\"" && scalar != "\\"
                guard isQtext || (allowUTF8 && !scalar.isASCII) else { throw .badLocalPart }
                decoded.unicodeScalars.append(scalar)
                index = scalars.index(after: index)
            }
            // An empty quoted local part (""@domain) is grammatical but names
            // nobody; refuse it rather than guess.
            guard closed, !decoded.isEmpty else { throw .badLocalPart }
        } else {
            var previousDot = true
            while index < scalars.endIndex, scalars[index] != "@" {
                let scalar = scalars[index]
                if scalar == "." {
                    if previousDot { throw .badLocalPart }
                    previousDot = true
                } else if isAtext(scalar) || (allowUTF8 && !scalar.isASCII) {
                    previousDot = false
                } else {
                    throw .badLocalPart
                }
                decoded.unicodeScalars.append(scalar)
                index = scalars.index(after: index)
            }
            if decoded.isEmpty || previousDot { throw .badLocalPart }
        }
        if decoded.utf8.count > maximumLocalPartLength { throw .localPartTooLong }
        return (decoded, Substring(scalars[index...]))
    }

    /// RFC 5322 atext: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~".
    public static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        case "!", "#", "$", "%", "&", "'", "*", "+", "-", "/", "=", "?", "^", "_", "`", "{", "|", "}", "~":
            return true
        default: return false
        }
    }

    /// RFC 5321 § 4.1.3: IPv4, `IPv6:` or a general `tag:content` literal, in brackets.
    public static func isAddressLiteral(_ text: Substring) -> Bool {
        guard text.first == "[", text.last == "]", text.count > 2 else { return false }
        let body = String(text.dropFirst().dropLast())
        if body.lowercased().hasPrefix("ipv6:") {
            var storage = in6_addr()
            return inet_pton(AF_INET6, String(body.dropFirst(5)), &storage) == 1
        }
        if body.contains(":") {
            // General-address-literal = Standardized-tag ":" 1*dcontent
            let parts = body.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, DomainSyntax.isValid(parts[0], allowUTF8: false) else { return false }
            return parts[1].unicodeScalars.allSatisfy { (33...90).contains($0.value) || (94...126).contains($0.value) }
        }
        var storage = in_addr()
        return body.split(separator: ".").count == 4 && inet_pton(AF_INET, body, &storage) == 1
    }
}
