/// A SEARCH criterion (RFC 9051 § 6.4.4), read from the parsed arguments.
/// Several keys in a row, or in parentheses, must all match (`and`).
public indirect enum SearchKey: Equatable, Sendable {
    case all
    /// A system flag that must be set (`\Seen` for SEEN) or, with `set: false`, clear (UNSEEN).
    case flag(String, set: Bool)
    case keyword(String, set: Bool)
    /// Header or body text, case-insensitive substring (`header` nil: BODY or TEXT).
    case header(String, contains: [UInt8])
    case body(contains: [UInt8])
    case text(contains: [UInt8])
    /// The internal date, when the message arrived (BEFORE/ON/SINCE), or the
    /// Date: header (SENTBEFORE/…).
    case date(DateField, DateComparison, SearchDate)
    case larger(UInt32)
    case smaller(UInt32)
    case sequence(SequenceSet)
    case uid(SequenceSet)
    case not(SearchKey)
    case or(SearchKey, SearchKey)
    case and([SearchKey])

    public enum DateField: Equatable, Sendable { case arrival, sent }
    public enum DateComparison: Equatable, Sendable { case before, on, since }

    /// `date-day "-" date-month "-" date-year`, a day without a time zone.
    public struct SearchDate: Equatable, Sendable, Comparable {
        public var year: Int
        public var month: Int
        public var day: Int

        public static func < (a: Self, b: Self) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

        static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

        /// `1-Feb-2026` or `01-Feb-2026`; nil for anything else.
        public init?(_ text: String) {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, (1...2).contains(parts[0].count), parts[2].count == 4,
                let day = Int(parts[0]), let year = Int(parts[2]), let month = Self.months.firstIndex(of: parts[1].uppercased()),
                (1...31).contains(day), parts[0].allSatisfy(\.isNumber), parts[2].allSatisfy(\.isNumber)
            else { return nil }
            self.year = year
            self.month = month + 1
            self.day = day
        }
    }

    /// Why the criteria could not be read (the session says BAD with it).
    public struct Invalid: Error, Equatable, Sendable {
        public var reason: String

        public init(reason: String) {
            self.reason = reason
        }
    }

    /// The criteria of a SEARCH command's arguments (after any RETURN
    /// options), with an optional leading `CHARSET name`, which must be
    /// UTF-8 or US-ASCII (RFC 9051 § 6.4.4: others may be refused with
    /// BADCHARSET). Nesting is bounded by the parser's list depth and by
    /// `maximumDepth` for NOT/OR chains.
    public static func parse(_ arguments: [IMAPValue], maximumDepth: Int = 64) throws(Invalid) -> SearchKey {
        var reader = ArgumentReader(values: arguments)
        if case .atom(let word)? = reader.peek(), word.uppercased() == "CHARSET" {
            reader.advance()
            guard let charset = reader.next()?.string.map({ String(decoding: $0, as: UTF8.self).uppercased() }) else {
                throw Invalid(reason: "CHARSET needs a name")
            }
            guard charset == "UTF-8" || charset == "US-ASCII" else {
                throw Invalid(reason: "[BADCHARSET (UTF-8)] Unsupported charset")
            }
        }
        var keys: [SearchKey] = []
        while !reader.atEnd { keys.append(try key(&reader, depth: 0, maximumDepth: maximumDepth)) }
        guard !keys.isEmpty else { throw Invalid(reason: "SEARCH needs a criterion") }
        return keys.count == 1 ? keys[0] : .and(keys)
    }

    private static let flagKeys: [String: (String, Bool)] = [
        "ANSWERED": ("\\Answered", true), "DELETED": ("\\Deleted", true), "DRAFT": ("\\Draft", true),
        "FLAGGED": ("\\Flagged", true), "SEEN": ("\\Seen", true), "UNANSWERED": ("\\Answered", false),
        "UNDELETED": ("\\Deleted", false), "UNDRAFT": ("\\Draft", false), "UNFLAGGED": ("\\Flagged", false),
        "UNSEEN": ("\\Seen", false),
    ]

    private static let headerKeys: [String: String] = [
        "BCC": "Bcc", "CC": "Cc", "FROM": "From", "SUBJECT": "Subject", "TO": "To",
    ]

    private static func key(_ reader: inout ArgumentReader, depth: Int, maximumDepth: Int) throws(Invalid) -> SearchKey {
        guard depth < maximumDepth else { throw Invalid(reason: "Search criteria nested too deeply") }
        guard let value = reader.next() else { throw Invalid(reason: "Missing search criterion") }
        switch value {
        case .list(let items):
            var inner = ArgumentReader(values: items)
            var keys: [SearchKey] = []
            while !inner.atEnd { keys.append(try key(&inner, depth: depth + 1, maximumDepth: maximumDepth)) }
            guard !keys.isEmpty else { throw Invalid(reason: "Empty parentheses in search criteria") }
            return keys.count == 1 ? keys[0] : .and(keys)
        case .atom(let atom):
            let word = atom.uppercased()
            if let (flag, set) = flagKeys[word] { return .flag(flag, set: set) }
            if let header = headerKeys[word] { return .header(header, contains: try string(&reader, word)) }
            switch word {
            case "ALL": return .all
            // No \Recent in IMAP4rev2: NEW is UNSEEN, OLD and RECENT match as if no message were recent.
            // \Recent (IMAP4rev1): a message is recent for the one session
            // that saw it first; IMAP4rev2 sessions never see it set.
            case "NEW": return .and([.flag("\\Recent", set: true), .flag("\\Seen", set: false)])
            case "OLD": return .flag("\\Recent", set: false)
            case "RECENT": return .flag("\\Recent", set: true)
            case "KEYWORD", "UNKEYWORD":
                guard case .atom(let keyword)? = reader.next() else { throw Invalid(reason: "\(word) needs a keyword") }
                return .keyword(keyword, set: word == "KEYWORD")
            case "BODY": return .body(contains: try string(&reader, word))
            case "TEXT": return .text(contains: try string(&reader, word))
            case "HEADER":
                let name = String(decoding: try string(&reader, word), as: UTF8.self)
                return .header(name, contains: try string(&reader, word))
            case "BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE":
                let field: DateField = word.hasPrefix("SENT") ? .sent : .arrival
                let comparison: DateComparison =
                    word.hasSuffix("BEFORE") ? .before : (word.hasSuffix("SINCE") ? .since : .on)
                guard let text = reader.next()?.string, let date = SearchDate(String(decoding: text, as: UTF8.self)) else {
                    throw Invalid(reason: "\(word) needs a date like 1-Feb-2026")
                }
                return .date(field, comparison, date)
            case "LARGER", "SMALLER":
                guard case .atom(let digits)? = reader.next(), digits.allSatisfy(\.isNumber), let size = UInt32(digits) else {
                    throw Invalid(reason: "\(word) needs a number")
                }
                return word == "LARGER" ? .larger(size) : .smaller(size)
            case "UID":
                guard case .atom(let text)? = reader.next(), let set = SequenceSet(text) else {
                    throw Invalid(reason: "UID needs a sequence set")
                }
                return .uid(set)
            case "NOT":
                return .not(try key(&reader, depth: depth + 1, maximumDepth: maximumDepth))
            case "OR":
                let first = try key(&reader, depth: depth + 1, maximumDepth: maximumDepth)
                return .or(first, try key(&reader, depth: depth + 1, maximumDepth: maximumDepth))
            default:
                guard let set = SequenceSet(atom) else { throw Invalid(reason: "Unknown search criterion \(atom.prefix(40))") }
                return .sequence(set)
            }
        default:
            throw Invalid(reason: "Unexpected string in search criteria")
        }
    }

    private static func string(_ reader: inout ArgumentReader, _ word: String) throws(Invalid) -> [UInt8] {
        guard let value = reader.next(), let bytes = value.string else { throw Invalid(reason: "\(word) needs a string") }
        return bytes
    }
}

/// Steps through parsed arguments.
struct ArgumentReader {
    let values: [IMAPValue]
    var index = 0

    var atEnd: Bool { index >= values.count }
    func peek() -> IMAPValue? { index < values.count ? values[index] : nil }
    mutating func advance() { index += 1 }
    mutating func next() -> IMAPValue? {
        defer { index += 1 }
        return peek()
    }
}
