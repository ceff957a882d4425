/// Dovecot's `subscriptions` file in the Maildir root. Dovecot 2.x reads two
/// formats and keeps the one it found when it rewrites the file:
///
/// - one name per line, in the storage's form: Maildir++ levels joined by
///   `.`, non-ASCII in modified UTF-7 (`Archive.2026`, `Entw&APw-rfe`);
///   a new file is written like this;
/// - version 2: the header `V<TAB>2<LF><LF>`, then one name per line with
///   its levels separated by tabs, each tab-escaped (`\x01` + `1`, `t`, `r`,
///   `n` for `\x01`, tab, CR, LF).
///
/// A value type with no I/O; IMAP names use `/` (see `MaildirFolders`).
struct Subscriptions: Equatable {
    static let fileName = "subscriptions"
    static let version2Header = "V\t2\n\n"

    var isVersion2: Bool
    /// IMAP names, in file order, INBOX spelled `INBOX`.
    private(set) var names: [String]

    init(isVersion2: Bool = false, names: [String] = []) {
        self.isVersion2 = isVersion2
        self.names = names
    }

    init(fileText: String) {
        var text = Substring(fileText)
        isVersion2 = text.hasPrefix(Self.version2Header)
        if isVersion2 { text = text.dropFirst(Self.version2Header.count) }
        names = []
        for line in text.split(separator: "\n") {
            let levels =
                isVersion2
                ? line.split(separator: "\t", omittingEmptySubsequences: false).map { Self.tabUnescaped($0) }
                : line.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            // An entry ending in the separator is the old form of the same name.
            let trimmed = levels.last == "" && levels.count > 1 ? Array(levels.dropLast()) : levels
            guard let name = Self.imapName(levels: trimmed), !names.contains(name) else { continue }
            names.append(name)
        }
    }

    private static func imapName(levels: [String]) -> String? {
        guard levels.count != 1 || !MailboxStore.isInbox(levels[0]) else { return "INBOX" }
        return MaildirFolders.name(ofDirectory: "." + levels.joined(separator: "."))
    }

    func contains(_ name: String) -> Bool {
        names.contains(MailboxStore.isInbox(name) ? "INBOX" : name)
    }

    /// False when nothing changed.
    mutating func set(_ name: String, _ on: Bool) -> Bool {
        let name = MailboxStore.isInbox(name) ? "INBOX" : name
        if on {
            guard !names.contains(name) else { return false }
            names.append(name)
            return true
        }
        let before = names.count
        names.removeAll { $0 == name }
        return names.count != before
    }

    /// Renames `old` and every name under it (`old/x`) to `new`.
    mutating func rename(_ old: String, to new: String) {
        names = names.map { name in
            if name == old { return new }
            if name.hasPrefix(old + "/") { return new + name.dropFirst(old.count) }
            return name
        }
    }

    var fileText: String {
        var text = isVersion2 ? Self.version2Header : ""
        for name in names {
            let levels: [String]
            if name == "INBOX" {
                levels = ["INBOX"]
            } else if let directory = MaildirFolders.directoryName(for: name) {
                levels = directory.dropFirst().split(separator: ".").map(String.init)
            } else {
                continue
            }
            text += (isVersion2 ? levels.map(Self.tabEscaped).joined(separator: "\t") : levels.joined(separator: ".")) + "\n"
        }
        return text
    }

    static func tabEscaped(_ level: String) -> String {
        var escaped = ""
        for character in level.unicodeScalars {
            switch character {
            case "\u{1}": escaped += "\u{1}1"
            case "\t": escaped += "\u{1}t"
            case "\r": escaped += "\u{1}r"
            case "\n": escaped += "\u{1}n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    static func tabUnescaped(_ level: Substring) -> String {
        var result = ""
        var escaping = false
        for character in level.unicodeScalars {
            if escaping {
                switch character {
                case "1": result += "\u{1}"
                case "t": result += "\t"
                case "r": result += "\r"
                case "n": result += "\n"
                default: result.unicodeScalars.append(character)
                }
                escaping = false
            } else if character == "\u{1}" {
                escaping = true
            } else {
                result.unicodeScalars.append(character)
            }
        }
        return result
    }
}
