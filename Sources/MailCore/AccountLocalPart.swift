/// The local parts SIMS allows for accounts and aliases: a conservative
/// subset of RFC 5321's dot-atom.
///
/// An account's local part becomes a directory name
/// (`mail/DOMAIN/LOCAL/Maildir`) and an alias's becomes an address the
/// account may send as, so neither may hold anything a file system or a
/// sender rule reads specially. Allowed: ASCII letters (stored lower-case),
/// digits, `.`, `-` and `_`; the first character a letter or digit; no dot
/// at the end and no two dots in a row; at most 64 characters (RFC 5321
/// § 4.5.3.1.1). So no `/` (`bob/x` and `bob//x` would share a Maildir), no
/// `*` (a sender pattern), no `%`, `!` or quotes (relay tricks), no `..`
/// and no leading dot (parent or hidden directories).
public enum AccountLocalPart {
    public static let maximumLength = 64

    /// The rule in words, for error messages and documentation.
    public static let rule =
        "letters, digits, '.', '-' and '_'; starting with a letter or digit; no '..' and no final '.'; at most 64 characters"

    public static func isAllowed(_ localPart: some StringProtocol) -> Bool {
        let scalars = Array(localPart.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last, scalars.count <= maximumLength else { return false }
        guard isLetterOrDigit(first), last != "." else { return false }
        var previous: Unicode.Scalar = first
        for scalar in scalars.dropFirst() {
            guard isLetterOrDigit(scalar) || scalar == "." || scalar == "-" || scalar == "_" else { return false }
            if scalar == "." && previous == "." { return false }
            previous = scalar
        }
        return true
    }

    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
