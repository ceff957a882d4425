/// How the log writes a value that someone outside chose: an address, a HELO
/// name, a user name, a parameter, a command line, a remote server's reply.
///
/// The log is read back by `sims audit` and `sims explain`, so no such value
/// may end a line, start a new one, or look like the words the server writes
/// itself. Every producer goes through this one type; docs/operations.md
/// ("What a client wrote") documents the rules:
///
/// - **Text** (`text(_:)`): every character outside printable ASCII (controls,
///   DEL, anything non-ASCII) and the two characters `\` and `"` become
///   `\xHH` (ASCII) or `\u{H…}` (other Unicode scalars). Used for a value that
///   is the last thing on its line (the dialogue line after `< `, a remote
///   reply), and inside double quotes (`quoted(_:)`).
/// - **Word** (`word(_:)`): text rules, and also space, `<` and `>` escaped,
///   so the value is one space-free word that contains none of the log's
///   delimiters. An empty value is written `""`. Used for a value in the
///   middle of a line (user names, HELO names, parameters).
/// - **Address** (`address(_:)`, `path(_:)`): a word between `<` and `>`; the
///   first `>` after the `<` ends it. `<>` is the null path.
///
/// A reader splits a line by these rules (`unescape(_:)` restores the value);
/// it never has to guess where a client's value ends.
public enum LogField {
    /// A value that ends its line, or goes between double quotes.
    public static func text(_ value: some StringProtocol) -> String {
        escape(String(value).unicodeScalars, wordCharacters: false)
    }

    /// Bytes as received (invalid UTF-8 is shown as U+FFFD), as `text(_:)`.
    public static func text(bytes: some Collection<UInt8>) -> String {
        text(String(decoding: bytes, as: UTF8.self))
    }

    /// `"…"` around `text(_:)`: the first `"` after the opening one ends it.
    public static func quoted(_ value: some StringProtocol) -> String {
        "\"" + text(value) + "\""
    }

    /// One space-free word with no delimiter of the log in it.
    public static func word(_ value: some StringProtocol) -> String {
        value.isEmpty ? "\"\"" : escape(String(value).unicodeScalars, wordCharacters: true)
    }

    /// `<…>` around an escaped address (`""`-free: empty gives `<>`).
    public static func address(_ value: some StringProtocol) -> String {
        "<" + escape(String(value).unicodeScalars, wordCharacters: true) + ">"
    }

    /// An envelope path: `<>`, `<Postmaster>`, or `<` escaped mailbox `>`.
    public static func path(_ path: EnvelopePath) -> String {
        switch path {
        case .null: return "<>"
        case .localPostmaster: return "<Postmaster>"
        case .mailbox(let mailbox): return address(mailbox.description)
        }
    }

    /// True when `scalar` is written as itself in a word; false when escaped.
    public static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        isTextCharacter(scalar) && scalar != " " && scalar != "<" && scalar != ">"
    }

    /// True when `scalar` is written as itself in text; false when escaped.
    public static func isTextCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "\\" && scalar != "\""
    }

    /// The value before escaping. Malformed escapes are kept as they are.
    public static func unescape(_ escaped: some StringProtocol) -> String {
        guard escaped.contains("\\") else { return String(escaped) == "\"\"" ? "" : String(escaped) }
        let scalars = Array(escaped.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\\", index + 1 < scalars.count {
                if scalars[index + 1] == "x", index + 3 < scalars.count,
                    let value = UInt32(String(String.UnicodeScalarView(scalars[(index + 2)...(index + 3)])), radix: 16),
                    let decoded = Unicode.Scalar(value)
                {
                    out.append(decoded)
                    index += 4
                    continue
                }
                if scalars[index + 1] == "u", index + 2 < scalars.count, scalars[index + 2] == "{",
                    let close = scalars[(index + 3)...].firstIndex(of: "}"), close - index - 3 <= 6,
                    let value = UInt32(String(String.UnicodeScalarView(scalars[(index + 3)..<close])), radix: 16),
                    let decoded = Unicode.Scalar(value)
                {
                    out.append(decoded)
                    index = close + 1
                    continue
                }
            }
            out.append(scalar)
            index += 1
        }
        return String(out)
    }

    /// Escapes what the log's reader must never see raw in a whole line:
    /// line ends and other controls (C0, DEL, C1), Unicode line and paragraph
    /// separators and bidirectional overrides. The log handler applies it to
    /// every line as a safety net behind the per-field rules above; the
    /// server's own words (`…`, `§`) pass.
    public static func lineSafe(_ line: String) -> String {
        guard line.unicodeScalars.contains(where: isUnsafeInLine) else { return line }
        var out = String.UnicodeScalarView()
        for scalar in line.unicodeScalars {
            if isUnsafeInLine(scalar) { out.append(contentsOf: escaped(scalar).unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }

    static func isUnsafeInLine(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: return true
        default: return false
        }
    }

    private static func escape(_ scalars: String.UnicodeScalarView, wordCharacters: Bool) -> String {
        func keep(_ scalar: Unicode.Scalar) -> Bool { wordCharacters ? isWordCharacter(scalar) : isTextCharacter(scalar) }
        guard !scalars.allSatisfy(keep) else { return String(scalars) }
        var out = ""
        for scalar in scalars {
            if keep(scalar) { out.unicodeScalars.append(scalar) } else { out += escaped(scalar) }
        }
        return out
    }

    private static let hexDigits = Array("0123456789abcdef".unicodeScalars)

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        let value = scalar.value
        if value < 0x80 {
            var out = "\\x"
            out.unicodeScalars.append(hexDigits[Int(value >> 4)])
            out.unicodeScalars.append(hexDigits[Int(value & 0xF)])
            return out
        }
        return "\\u{" + String(value, radix: 16) + "}"
    }
}
