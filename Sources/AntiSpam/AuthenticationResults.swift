import Foundation

/// The `Authentication-Results` header (RFC 8601) that records every
/// check's verdict in the message itself.
///
/// Registered methods (IANA "Email Authentication Methods") are used where
/// they exist: `spf` (smtp.mailfrom, smtp.helo), `iprev` (policy.iprev) and
/// `auth` (smtp.auth). DNS blocklists, HELO, return-path and greylisting have
/// no registered method (`dnswl`, RFC 8904, is for allow-lists), and RFC 8601
/// § 2.7.6 has consumers ignore unregistered ones, so their verdicts go into
/// comments (`notes`), which people read and parsers skip.
///
///     Authentication-Results: mx.example.test;
///     	spf=pass smtp.mailfrom=alice@example.com;
///     	iprev=pass policy.iprev=203.0.113.5 (mail.example.com)
///     	(dnsbl: 203.0.113.5 not listed in bl.example.test)
///
/// RFC 8601 § 5: an MTA must remove headers that carry its own authserv-id
/// from incoming mail before adding its own; `carriesAuthservID` tells them apart.
public struct AuthenticationResultsHeader: Hashable, Sendable, CustomStringConvertible {
    /// One `method=result` with its reason, properties and comment.
    public struct MethodResult: Hashable, Sendable {
        public struct Property: Hashable, Sendable {
            /// `smtp`, `header`, `body` or `policy` (RFC 8601 § 2.3).
            public var ptype: String
            public var property: String
            public var value: String

            public init(_ ptype: String, _ property: String, _ value: String) {
                (self.ptype, self.property, self.value) = (ptype, property, value)
            }
        }

        public var method: String
        public var result: String
        public var reason: String?
        public var properties: [Property]
        public var comment: String?

        public init(method: String, result: String, reason: String? = nil, properties: [Property] = [], comment: String? = nil) {
            self.method = method
            self.result = result
            self.reason = reason
            self.properties = properties
            self.comment = comment
        }

        /// RFC 8601 § 2.7.2 / RFC 7208 § 9.1: `spf=pass smtp.mailfrom=…` (and
        /// `smtp.helo=…` when the HELO identity was the one checked).
        /// Results: none, neutral, pass, fail, softfail, temperror, permerror.
        public static func spf(_ result: String, mailFrom: String?, helo: String? = nil, comment: String? = nil) -> MethodResult {
            var properties: [Property] = []
            if let mailFrom { properties.append(Property("smtp", "mailfrom", mailFrom)) }
            if let helo { properties.append(Property("smtp", "helo", helo)) }
            return MethodResult(method: "spf", result: result, properties: properties, comment: comment)
        }

        /// RFC 8601 § 2.7.3: `iprev=pass policy.iprev=192.0.2.200 (mail.example)`.
        /// Results: pass, fail, temperror, permerror.
        public static func iprev(_ result: String, address: String, name: String? = nil) -> MethodResult {
            MethodResult(method: "iprev", result: result, properties: [Property("policy", "iprev", address)], comment: name)
        }

        /// RFC 8601 § 2.7.4: `auth=pass smtp.auth=alice@example.test` for SMTP AUTH.
        public static func auth(user: String, result: String = "pass") -> MethodResult {
            MethodResult(method: "auth", result: result, properties: [Property("smtp", "auth", user)])
        }

        /// The pieces of the resinfo, each of which may start a folded line.
        var pieces: [String] {
            var pieces = ["\(method)=\(result)"]
            if let reason { pieces.append("reason=\(AuthenticationResultsHeader.quoted(reason))") }
            pieces += properties.map { "\($0.ptype).\($0.property)=\(AuthenticationResultsHeader.pvalue($0.value))" }
            if let comment { pieces.append(AuthenticationResultsHeader.comment(comment)) }
            return pieces
        }
    }

    /// Identifies the host that did the checks (RFC 8601 § 2.5): our host name.
    public let authservID: String
    public private(set) var results: [MethodResult] = []
    /// Verdicts of checks without a registered method, rendered as comments.
    public private(set) var notes: [String] = []

    public init(authservID: String) { self.authservID = authservID }

    public mutating func add(_ result: MethodResult) { results.append(result) }

    /// A check without a registered method, e.g. `dnsbl: 127.0.0.9 not listed in bl.test`.
    public mutating func addNote(_ text: String) { notes.append(text) }

    /// The whole header, folded (RFC 5322 § 2.2.3) so that lines stay within
    /// 78 characters where the pieces allow, ending in CRLF.
    public func rendered() -> String {
        var lines = ["Authentication-Results: \(Self.pvalue(authservID));" + (results.isEmpty ? " none" : "")]
        for (index, result) in results.enumerated() {
            let pieces = result.pieces
            var line = "\t" + pieces[0]
            for piece in pieces.dropFirst() {
                if line.count + 1 + piece.count > Self.lineLimit {
                    lines.append(line)
                    line = "\t  " + piece
                } else {
                    line += " " + piece
                }
            }
            lines.append(line + (index < results.count - 1 ? ";" : ""))
        }
        lines += notes.map { "\t" + Self.comment($0) }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// The field body unfolded, for a log line.
    public var description: String {
        let body = rendered().dropFirst("Authentication-Results: ".count)
        return body.replacingOccurrences(of: "\r\n\t  ", with: " ").replacingOccurrences(of: "\r\n\t", with: " ")
            .replacingOccurrences(of: "\r\n", with: "")
    }

    /// Whether an incoming `Authentication-Results` field (name included or
    /// not) carries `authservID`, i.e. claims to come from us (RFC 8601 § 5).
    ///
    /// Read by the RFC 8601 § 2.2 grammar, so that every spelling a mail
    /// program would read as ours is recognised:
    ///
    ///     authres-header-field = "Authentication-Results:" authres-payload
    ///     authres-payload = [CFWS] authserv-id [ CFWS authres-version ] ...
    ///     authserv-id = value            ; RFC 2045: token / quoted-string
    ///
    /// White space before the colon (RFC 5322 § 4.5.3, obsolete but read),
    /// folding and comments (nested, with quoted-pairs) before the id, a
    /// quoted id with quoted-pairs, and a final dot of a fully qualified name
    /// (`mx.example.test.`) are all accepted; case does not matter.
    public static func carriesAuthservID(_ field: String, authservID: String) -> Bool {
        var text = Substring(field)
        if let colon = text.firstIndex(of: ":"),
            text[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "authentication-results"
        {
            text = text[text.index(after: colon)...]
        }
        text = skipCFWS(text)
        guard let id = readValue(&text) else { return false }
        return normalizedID(id) == normalizedID(authservID) && !normalizedID(id).isEmpty
    }

    /// Lower case, without folding line breaks and without a final dot.
    private static func normalizedID(_ id: String) -> String {
        var text = id.lowercased().filter { $0 != "\r" && $0 != "\n" && $0 != "\r\n" }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Skips white space (folding included) and comments, which nest and
    /// may hold quoted-pairs (RFC 5322 § 3.2.2).
    private static func skipCFWS(_ input: Substring) -> Substring {
        var text = input
        while true {
            text = text.drop(while: \.isWhitespace)
            guard text.first == "(" else { return text }
            var depth = 0
            var index = text.startIndex
            while index < text.endIndex {
                let character = text[index]
                if character == "\\" {
                    index = text.index(after: index)
                    if index < text.endIndex { index = text.index(after: index) }
                    continue
                }
                if character == "(" { depth += 1 } else if character == ")" { depth -= 1 }
                index = text.index(after: index)
                if depth == 0 { break }
            }
            text = text[index...]
        }
    }

    /// An RFC 2045 value: a quoted-string (quoted-pairs decoded) or a token.
    private static func readValue(_ text: inout Substring) -> String? {
        if text.first == "\"" {
            var value = ""
            var index = text.index(after: text.startIndex)
            while index < text.endIndex {
                var character = text[index]
                if character == "\"" {
                    text = text[text.index(after: index)...]
                    return value
                }
                if character == "\\" {
                    index = text.index(after: index)
                    guard index < text.endIndex else { return nil }
                    character = text[index]
                }
                value.append(character)
                index = text.index(after: index)
            }
            return nil
        }
        let token = text.prefix { character in
            !character.isWhitespace && !tokenSpecials.contains(character) && character.isASCII
                && !(character.asciiValue.map { $0 < 32 || $0 == 127 } ?? true)
        }
        text = text[token.endIndex...]
        return token.isEmpty ? nil : String(token)
    }

    /// RFC 2045 § 5.1 tspecials: what ends a token.
    private static let tokenSpecials = Set("()<>@,;:\\\"/[]?=")

    static let lineLimit = 78

    /// RFC 2045 token characters: what a value may be without quotes.
    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty
            && text.unicodeScalars.allSatisfy { scalar in
                scalar.value > 32 && scalar.value < 127 && !"()<>@,;:\\\"/[]?=".unicodeScalars.contains(scalar)
            }
    }

    /// RFC 5322 dot-atom: an unquoted local part or domain.
    private static func isDotAtom(_ text: Substring) -> Bool {
        let atext = "!#$%&'*+-/=?^_`{|}~"
        return !text.isEmpty && !text.hasPrefix(".") && !text.hasSuffix(".") && !text.contains("..")
            && text.unicodeScalars.allSatisfy { scalar in
                (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)))
                    || scalar == "." || atext.unicodeScalars.contains(scalar)
            }
    }

    /// A pvalue (RFC 8601 § 2.2): a token, `local-part@domain`, or a quoted string.
    static func pvalue(_ value: String) -> String {
        if isToken(value) { return value }
        if let at = value.lastIndex(of: "@") {
            let local = value[..<at]
            let domain = value[value.index(after: at)...]
            if (local.isEmpty || isDotAtom(local)) && isDotAtom(domain) { return value }
        }
        return quoted(value)
    }

    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars where scalar.value >= 32 && scalar.value != 127 {
            if scalar == "\"" || scalar == "\\" { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out + "\""
    }

    static func comment(_ text: String) -> String {
        var out = "("
        for scalar in text.unicodeScalars where scalar.value >= 32 && scalar.value != 127 {
            if scalar == "(" || scalar == ")" || scalar == "\\" { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out + ")"
    }
}
