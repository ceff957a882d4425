/// A MIME parameter (`charset=us-ascii`): name as found (Dovecot writes
/// it so), value unquoted and otherwise as found.
struct MIMEParameter: Equatable, Sendable {
    var name: [UInt8]
    var value: [UInt8]
}

/// `Content-Type: type/subtype; params` (RFC 2045 § 5), kept with the case
/// the message used (Dovecot writes "text" "plain" as found).
struct MIMEContentType: Equatable, Sendable {
    var type: [UInt8]
    var subtype: [UInt8]
    var parameters: [MIMEParameter]

    /// What a part without a (valid) Content-Type is (RFC 2045 § 5.2).
    static let textPlain = MIMEContentType(
        type: Array("text".utf8), subtype: Array("plain".utf8),
        parameters: [MIMEParameter(name: Array("charset".utf8), value: Array("us-ascii".utf8))])
    /// The default inside multipart/digest (RFC 2046 § 5.1.5).
    static let messageRFC822 = MIMEContentType(type: Array("message".utf8), subtype: Array("rfc822".utf8), parameters: [])

    var isText: Bool { ByteScan.equalsIgnoringCase(type, "text") }
    var isMultipart: Bool { ByteScan.equalsIgnoringCase(type, "multipart") && !subtype.isEmpty }
    var isMessageRFC822: Bool { ByteScan.equalsIgnoringCase(type, "message") && ByteScan.equalsIgnoringCase(subtype, "rfc822") }

    func parameter(_ lowercasedName: String) -> [UInt8]? {
        let name = Array(lowercasedName.utf8)
        return parameters.first { ByteScan.lowercased($0.name) == name }?.value
    }

    /// nil when there is no type at all (the caller then uses text/plain).
    /// A damaged one (`garbage`, `text/`) keeps what could be read, with
    /// no parameters, as Dovecot does: ("garbage" "" NIL …).
    static func parse(_ value: [UInt8]) -> MIMEContentType? {
        var lexer = MIMEValueLexer(value)
        let type = lexer.token()
        guard !type.isEmpty else { return nil }
        guard lexer.take(UInt8(ascii: "/")) else { return MIMEContentType(type: type, subtype: [], parameters: []) }
        let subtype = lexer.token()
        guard !subtype.isEmpty else { return MIMEContentType(type: type, subtype: [], parameters: []) }
        return MIMEContentType(type: type, subtype: subtype, parameters: MIMEParameterContinuations.merge(lexer.parameters()))
    }
}

/// `Content-Disposition: attachment; filename=a.pdf` (RFC 2183).
struct MIMEDisposition: Equatable, Sendable {
    var type: [UInt8]
    var parameters: [MIMEParameter]

    static func parse(_ value: [UInt8]) -> MIMEDisposition? {
        var lexer = MIMEValueLexer(value)
        let type = lexer.token()
        guard !type.isEmpty else { return nil }
        return MIMEDisposition(type: type, parameters: MIMEParameterContinuations.merge(lexer.parameters()))
    }
}

/// Reads RFC 2045 structured values: tokens, quoted strings, `;` separated
/// parameters, with comments and blanks skipped. Lenient where real mail is
/// sloppy (unquoted values containing `=` or `/`, stray semicolons).
struct MIMEValueLexer {
    private let bytes: [UInt8]
    /// Never past the end, however an escape at the very end moves it.
    private var index = 0 {
        didSet { if index > bytes.count { index = bytes.count } }
    }

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        guard byte > 0x20, byte != 0x7F else { return false }
        return !"()<>@,;:\\\"/[]?=".utf8.contains(byte)
    }

    /// Skips blanks and (nested) comments, iteratively so a thousand `(` cost nothing.
    mutating func skipBlanksAndComments() {
        var depth = 0
        while index < bytes.count {
            let byte = bytes[index]
            if depth > 0 {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "(") {
                    depth += 1
                } else if byte == UInt8(ascii: ")") {
                    depth -= 1
                }
                index += 1
            } else if ByteScan.isBlank(byte) {
                index += 1
            } else if byte == UInt8(ascii: "(") {
                depth = 1
                index += 1
            } else {
                return
            }
        }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        skipBlanksAndComments()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func token() -> [UInt8] {
        skipBlanksAndComments()
        let start = index
        while index < bytes.count, Self.isTokenByte(bytes[index]) { index += 1 }
        return Array(bytes[start..<index])
    }

    /// A quoted string's content (escapes undone), or an unquoted value up
    /// to the next `;` or blank.
    mutating func value() -> [UInt8] {
        skipBlanksAndComments()
        guard index < bytes.count else { return [] }
        var output: [UInt8] = []
        if bytes[index] == UInt8(ascii: "\"") {
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
                output.append(bytes[index])
                index += 1
            }
            index += 1
            return output
        }
        while index < bytes.count, bytes[index] != UInt8(ascii: ";"), !ByteScan.isBlank(bytes[index]) {
            output.append(bytes[index])
            index += 1
        }
        return output
    }

    /// `; name=value` pairs until the end; a malformed one is skipped up to
    /// the next semicolon.
    mutating func parameters() -> [MIMEParameter] {
        var parameters: [MIMEParameter] = []
        while index < bytes.count {
            guard take(UInt8(ascii: ";")) else {
                // Junk between parameters: skip to the next `;`.
                skipBlanksAndComments()
                while index < bytes.count, bytes[index] != UInt8(ascii: ";") { index += 1 }
                continue
            }
            let name = token()
            guard !name.isEmpty, take(UInt8(ascii: "=")) else { continue }
            parameters.append(MIMEParameter(name: name, value: value()))
        }
        return parameters
    }

    /// Comma-separated tokens (Content-Language).
    mutating func tokenList() -> [[UInt8]] {
        var tokens: [[UInt8]] = []
        while index < bytes.count {
            let token = token()
            if !token.isEmpty {
                tokens.append(token)
            } else if !take(UInt8(ascii: ",")) {
                index += 1
            }
        }
        return tokens
    }
}
