/// Client or third-party text made safe for what goes on the wire: reply
/// text and header fields. Not the log's escaper: the log writes every
/// outside value with `LogField`, which escapes reversibly so `sims audit`
/// can read it back. Here nothing is read back, and the rules are the
/// protocol's: RFC 5321 § 4.1.1 allows only printable US-ASCII in reply
/// text, RFC 5322 § 3.2.2 gives parentheses a meaning in header comments.
public enum WireText {
    /// One word of printable ASCII without space, `(`, `)` or `"` (each
    /// other character becomes `?`), at most 255 characters: a client's HELO
    /// name in a Received header or a reply, where it cannot open a comment,
    /// close one, or start a quoted string.
    public static func word(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.prefix(255).map { scalar in
                    (scalar.value > 32 && scalar.value < 127 && scalar != "(" && scalar != ")" && scalar != "\"") ? scalar : "?"
                }))
    }

    /// `text` as one line of printable ASCII: controls and non-ASCII become
    /// `?`, runs of white space (line ends included) one space, and the
    /// result is cut to `maximumLength` characters, the last three `...`
    /// when it was cut (RFC 5321 § 4.5.3.1.5 limits a reply line to 512).
    public static func singleLine(_ text: String, maximumLength: Int) -> String {
        var result = ""
        var lastWasSpace = false
        for scalar in text.unicodeScalars {
            let isSpace = scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n"
            if isSpace {
                if !lastWasSpace && !result.isEmpty { result.append(" ") }
                lastWasSpace = true
                continue
            }
            lastWasSpace = false
            result.unicodeScalars.append((0x21...0x7E).contains(scalar.value) ? scalar : "?")
        }
        while result.hasSuffix(" ") { result.removeLast() }
        guard result.count > maximumLength else { return result }
        return String(result.prefix(max(0, maximumLength - 3))) + "..."
    }
}
