/// A macro-string (RFC 7208 § 7.1), parsed once when the record is read so
/// that a syntax error anywhere makes the whole record a permerror before
/// anything is evaluated (§ 4.6).
struct SPFMacroString: Hashable, Sendable {
    enum Piece: Hashable, Sendable {
        case literal(String)
        /// `%{letter transformers delimiters}`; `letter` is lowercased and
        /// `urlEscape` remembers that it was written in upper case (§ 7.3).
        case macro(letter: Character, urlEscape: Bool, rightmost: Int?, reverse: Bool, delimiters: [Character])
    }

    let pieces: [Piece]
    /// The text as written, for messages.
    let text: String

    /// Letters valid in every macro-string (§ 7.2).
    private static let letters: Set<Character> = ["s", "l", "o", "d", "i", "p", "h", "v"]
    /// Letters valid only in an explanation string: "c", "r", "t" (§ 7.2).
    private static let explainLetters: Set<Character> = ["c", "r", "t"]
    private static let delimiters: Set<Character> = [".", "-", "+", ",", "/", "_", "="]

    /// Parses `text`. `explanation` allows spaces and the c, r, t macros,
    /// which only the TXT record an exp= modifier points to may use.
    init(_ text: Substring, explanation: Bool = false) throws(SPFSyntaxError) {
        var pieces: [Piece] = []
        var literal = ""
        var index = text.startIndex
        func next() -> Character? {
            guard index < text.endIndex else { return nil }
            defer { index = text.index(after: index) }
            return text[index]
        }
        while let character = next() {
            if character != "%" {
                // macro-literal = %x21-24 / %x26-7E, plus SP in explain-string.
                guard let ascii = character.asciiValue, ascii >= 0x21 && ascii <= 0x7E || explanation && ascii == 0x20
                else { throw SPFSyntaxError("invalid character in \(text.debugDescription)") }
                literal.append(character)
                continue
            }
            switch next() {
            case "%": literal.append("%")
            case "_": literal.append(" ")
            case "-": literal.append("%20")
            case "{":
                if !literal.isEmpty { pieces.append(.literal(literal)) }
                literal = ""
                pieces.append(try Self.parseMacro(&index, in: text, explanation: explanation))
            default: throw SPFSyntaxError("invalid macro in \(text.debugDescription): a lone %")
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
        self.text = String(text)
    }

    /// Reads `letter *DIGIT ["r"] *delimiter "}"` after "%{".
    private static func parseMacro(
        _ index: inout Substring.Index, in text: Substring, explanation: Bool
    ) throws(SPFSyntaxError) -> Piece {
        guard let close = text[index...].firstIndex(of: "}") else {
            throw SPFSyntaxError("unterminated macro in \(text.debugDescription)")
        }
        let body = text[index..<close]
        index = text.index(after: close)
        guard let first = body.first, first.isASCII, first.isLetter else {
            throw SPFSyntaxError("macro without a letter in \(text.debugDescription)")
        }
        let letter = Character(first.lowercased())
        guard letters.contains(letter) || explanation && explainLetters.contains(letter) else {
            throw SPFSyntaxError("unknown macro letter %{\(first)} in \(text.debugDescription)")
        }
        var rest = body.dropFirst()
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(digits.count)
        var rightmost: Int?
        if !digits.isEmpty {
            // "If a DIGIT is specified, the value MUST be nonzero" (§ 7.3).
            guard let count = Int(digits), count > 0 else {
                throw SPFSyntaxError("macro transformer 0 in \(text.debugDescription)")
            }
            rightmost = count
        }
        var reverse = false
        if rest.first == "r" || rest.first == "R" {
            reverse = true
            rest = rest.dropFirst()
        }
        guard rest.allSatisfy({ delimiters.contains($0) }) else {
            throw SPFSyntaxError("invalid macro delimiter in \(text.debugDescription)")
        }
        return .macro(
            letter: letter, urlEscape: first.isUppercase, rightmost: rightmost, reverse: reverse,
            delimiters: rest.isEmpty ? ["."] : Array(rest))
    }

    /// Whether this is a valid domain-spec: a macro-string ending in a
    /// macro or in "." toplabel ["."] (§ 7.1 `domain-end`).
    var isDomainSpec: Bool {
        guard let last = pieces.last else { return false }
        guard case .literal(var tail) = last else { return true }
        if tail.hasSuffix(".") { tail.removeLast() }
        guard let dot = tail.lastIndex(of: ".") else { return false }
        return Self.isTopLabel(tail[tail.index(after: dot)...])
    }

    /// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    static func isTopLabel(_ label: Substring) -> Bool {
        guard let first = label.first, let last = label.last,
            label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else { return false }
        guard first != "-", last != "-" else { return false }
        return label.contains("-") || label.contains { $0.isLetter }
    }

    /// The text with every macro replaced (§ 7.3); `value` supplies each
    /// letter's raw value and may do DNS lookups (%{p}).
    func expand(_ value: (Character) async -> String) async -> String {
        var output = ""
        for piece in pieces {
            switch piece {
            case .literal(let text):
                output += text
            case .macro(let letter, let urlEscape, let rightmost, let reverse, let delimiters):
                var parts = (await value(letter)).split(omittingEmptySubsequences: false) { delimiters.contains($0) }
                if reverse { parts.reverse() }
                if let rightmost, rightmost < parts.count { parts = Array(parts.suffix(rightmost)) }
                let joined = parts.joined(separator: ".")
                output += urlEscape ? Self.urlEscaped(joined) : joined
            }
        }
        return output
    }

    /// RFC 3986 percent-encoding of everything outside the unreserved set.
    static func urlEscaped(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            let unreserved =
                (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if unreserved {
                output.append(Character(Unicode.Scalar(byte)))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                output += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return output
    }
}

/// Why a record is syntactically invalid: always a permerror (§ 4.6).
struct SPFSyntaxError: Error, Hashable, Sendable {
    let message: String
    init(_ message: String) { self.message = message }
}
