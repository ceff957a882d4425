/// Character classes of RFC 9051 § 9 (formal syntax).
enum IMAPGrammar {
    /// ATOM-CHAR: any CHAR except atom-specials
    /// `( ) { SP CTL % * " \ ]`.
    static func isAtomCharacter(_ byte: UInt8) -> Bool {
        guard byte > 0x20 && byte < 0x7F else { return false }
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "*"),
            UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
            return false
        default:
            return true
        }
    }

    /// ASTRING-CHAR: ATOM-CHAR or `]`.
    static func isAstringCharacter(_ byte: UInt8) -> Bool {
        isAtomCharacter(byte) || byte == UInt8(ascii: "]")
    }

    /// tag: 1*<any ASTRING-CHAR except "+">.
    static func isTagCharacter(_ byte: UInt8) -> Bool {
        isAstringCharacter(byte) && byte != UInt8(ascii: "+")
    }

    /// list-wildcards, allowed in LIST/LSUB mailbox patterns.
    static func isListCharacter(_ byte: UInt8) -> Bool {
        isAtomCharacter(byte) || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "]")
    }
}
