/// A message's flags as Maildir keeps them, in its file name after `:2,`
/// (cr.yp.to's Maildir: `D`raft, `F`lagged, `P`assed, `R`eplied, `S`een,
/// `T`rashed, in ASCII order), and IMAP keywords as Dovecot keeps them:
/// the lowercase letters `a`–`z`, each standing for the keyword on that line
/// of the folder's `dovecot-keywords` file (`0 $Forwarded`, `1 $Junk` …).
public struct MaildirFlags: Equatable, Sendable {
    /// The IMAP system flags and their Maildir letters (RFC 9051 § 2.3.2).
    public static let systemFlags: [(imap: String, letter: Character)] = [
        ("\\Draft", "D"), ("\\Flagged", "F"), ("\\Answered", "R"), ("\\Seen", "S"), ("\\Deleted", "T"),
    ]

    /// Uppercase letters: the standard flags, `P` (passed) included, which
    /// IMAP has no name for but which is kept when the name is rewritten.
    public var letters: Set<Character>
    /// Keyword indices 0–25 (`a`–`z`).
    public var keywords: Set<Int>

    public init(letters: Set<Character> = [], keywords: Set<Int> = []) {
        self.letters = letters
        self.keywords = keywords
    }

    /// The flags of a file name (`1700000000.M1P2.mx,S=900:2,FS` → F, S);
    /// a name without `:2,` has none. Unknown characters are ignored, as
    /// Dovecot ignores them.
    public init(fileName: String) {
        self.init()
        // The last ":2,", found by UTF-8 code unit (every file of a folder at every snapshot).
        let bytes = Array(fileName.utf8)
        var start: Int?
        var index = bytes.count - 3
        while index >= 0 {
            if bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: "2"), bytes[index + 2] == UInt8(ascii: ",") {
                start = index + 3
                break
            }
            index -= 1
        }
        guard let start else { return }
        for ascii in bytes[start...] {
            if ascii >= UInt8(ascii: "a"), ascii <= UInt8(ascii: "z") {
                keywords.insert(Int(ascii - UInt8(ascii: "a")))
            } else if ascii >= UInt8(ascii: "A"), ascii <= UInt8(ascii: "Z") {
                letters.insert(Character(Unicode.Scalar(ascii)))
            }
        }
    }

    /// The info part to append to a base name: `:2,` and the letters in
    /// ASCII order (uppercase first, then the keyword letters).
    public var infoSuffix: String {
        let upper = letters.sorted()
        let lower = keywords.filter { (0..<26).contains($0) }.sorted().compactMap {
            Unicode.Scalar(UInt8(ascii: "a") + UInt8($0))
        }
        return ":2," + String(upper) + String(String.UnicodeScalarView(lower))
    }

    /// The IMAP system flags set.
    public var imapSystemFlags: [String] {
        Self.systemFlags.filter { letters.contains($0.letter) }.map(\.imap)
    }

    /// Sets or clears an IMAP system flag; false for a flag Maildir cannot store
    /// (`\Recent` is not stored; keywords go through `MaildirKeywords`).
    @discardableResult
    public mutating func set(_ imapFlag: String, _ on: Bool) -> Bool {
        guard let letter = Self.systemFlags.first(where: { $0.imap.lowercased() == imapFlag.lowercased() })?.letter else {
            return false
        }
        if on { letters.insert(letter) } else { letters.remove(letter) }
        return true
    }
}

/// A folder's `dovecot-keywords` file: which keyword each letter `a`–`z`
/// stands for. Lines that Dovecot would skip (no space, bad index, a name
/// given twice) are skipped here too.
public struct MaildirKeywords: Equatable, Sendable {
    public static let maximum = 26
    /// Index → keyword.
    public private(set) var names: [Int: String] = [:]

    public init() {}

    public init(fileText: String) {
        for line in fileText.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let name = String(line[line.index(after: space)...])
            guard let index = Int(line[..<space]), (0..<Self.maximum).contains(index), !name.isEmpty,
                names[index] == nil, !names.values.contains(name)
            else { continue }
            names[index] = name
        }
    }

    /// The index of `keyword`, adding it when there is room; nil when all
    /// 26 letters are taken (the keyword cannot be stored in this folder).
    public mutating func index(of keyword: String, adding: Bool = true) -> Int? {
        if let existing = names.first(where: { $0.value == keyword })?.key { return existing }
        guard adding, let free = (0..<Self.maximum).first(where: { names[$0] == nil }) else { return nil }
        names[free] = keyword
        return free
    }

    /// The file's text, in index order.
    public var fileText: String {
        names.keys.sorted().map { "\($0) \(names[$0] ?? "")\n" }.joined()
    }
}
