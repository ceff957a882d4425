import MailCore

/// What SEARCH knows about one message without reading it.
public struct SearchCandidate: Sendable {
    public var sequence: UInt32
    public var uid: UInt32
    /// As sent to clients: `\Seen`, `\Deleted`.
    public var systemFlags: Set<String>
    /// Compared case-insensitively.
    public var keywords: Set<String>
    /// RFC822.SIZE.
    public var size: UInt32
    /// Seconds since 1970, UTC.
    public var internalDate: Int64

    public init(
        sequence: UInt32, uid: UInt32, systemFlags: Set<String>, keywords: Set<String>, size: UInt32, internalDate: Int64
    ) {
        self.sequence = sequence
        self.uid = uid
        self.systemFlags = systemFlags
        self.keywords = keywords
        self.size = size
        self.internalDate = internalDate
    }
}

/// Decides whether a message matches SEARCH criteria (RFC 9051 § 6.4.4).
/// Built once per command; `needsMessage` tells the caller whether it must
/// read and parse message files at all.
public struct SearchEvaluator: Sendable {
    private let key: SearchKey
    private let lastSequence: UInt32
    private let lastUID: UInt32
    /// `$` (RFC 5182): UIDs of the saved result; none saved matches nothing.
    private let savedResult: Set<UInt32>

    public init(key: SearchKey, lastSequence: UInt32, lastUID: UInt32, savedResult: [UInt32]? = nil) {
        self.key = key
        self.lastSequence = lastSequence
        self.lastUID = lastUID
        self.savedResult = Set(savedResult ?? [])
    }

    /// True when some criterion needs the message text (HEADER, BODY, TEXT,
    /// FROM…, SENT*): only then does the caller read the file.
    public var needsMessage: Bool { Self.needsMessage(key) }

    private static func needsMessage(_ key: SearchKey) -> Bool {
        switch key {
        case .header, .body, .text, .date(.sent, _, _): return true
        case .not(let inner): return needsMessage(inner)
        case .or(let a, let b): return needsMessage(a) || needsMessage(b)
        case .and(let keys): return keys.contains(where: needsMessage)
        default: return false
        }
    }

    /// Whether the candidate matches. `message` may be nil when
    /// `needsMessage` is false; text criteria then do not match.
    public func matches(_ candidate: SearchCandidate, message: MIMEMessage?) -> Bool {
        evaluate(key, candidate, message)
    }

    private func evaluate(_ key: SearchKey, _ candidate: SearchCandidate, _ message: MIMEMessage?) -> Bool {
        switch key {
        case .all:
            return true
        case .flag(let flag, let set):
            // \Recent is among the flags only in IMAP4rev1 sessions, for
            // the messages this session saw first.
            return candidate.systemFlags.contains { $0.equalsIgnoringASCIICase(flag) } == set
        case .keyword(let keyword, let set):
            return candidate.keywords.contains { $0.equalsIgnoringASCIICase(keyword) } == set
        case .header(let name, let needle):
            guard let message else { return false }
            let matcher = CaseInsensitiveMatcher(needle)
            return message.headerValues(name).contains { Self.headerValue($0, contains: matcher) }
        case .body(let needle):
            guard let message else { return false }
            return message.bodyTextContains(CaseInsensitiveMatcher(needle))
        case .text(let needle):
            guard let message else { return false }
            return message.textContains(CaseInsensitiveMatcher(needle))
        case .date(let field, let comparison, let date):
            let day: SearchKey.SearchDate?
            switch field {
            case .arrival: day = Self.utcDay(candidate.internalDate)
            case .sent: day = message?.sentDate
            }
            guard let day else {
                // No readable Date: Dovecot counts it as earlier than any day.
                return field == .sent && comparison == .before
            }
            switch comparison {
            case .before: return day < date
            case .on: return day == date
            case .since: return day >= date
            }
        case .larger(let size):
            return candidate.size > size
        case .smaller(let size):
            return candidate.size < size
        case .sequence(let set):
            if set.isSavedResult { return savedResult.contains(candidate.uid) }
            return set.contains(candidate.sequence, last: lastSequence)
        case .uid(let set):
            if set.isSavedResult { return savedResult.contains(candidate.uid) }
            return set.contains(candidate.uid, last: lastUID)
        case .not(let inner):
            return !evaluate(inner, candidate, message)
        case .or(let a, let b):
            return evaluate(a, candidate, message) || evaluate(b, candidate, message)
        case .and(let keys):
            return keys.allSatisfy { evaluate($0, candidate, message) }
        }
    }

    /// A header value matches with its encoded-words decoded (`=?UTF-8?Q?Caf=C3=A9?=`
    /// is found by "café", not by "=?UTF-8"), as in Dovecot.
    static func headerValue(_ value: [UInt8], contains matcher: CaseInsensitiveMatcher) -> Bool {
        guard SearchTextDecoding.hasEncodedWord(value) else { return matcher.occurs(in: value) }
        return matcher.occurs(in: SearchTextDecoding.decodeEncodedWords(value))
    }

    /// The UTC calendar day of seconds since 1970 (BEFORE/ON/SINCE).
    static func utcDay(_ seconds: Int64) -> SearchKey.SearchDate {
        let days = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
        let date = CivilDate.date(fromDays: Int(days))
        return SearchKey.SearchDate(year: date.year, month: date.month, day: date.day)
    }
}

extension String {
    fileprivate func equalsIgnoringASCIICase(_ other: String) -> Bool {
        ByteScan.lowercased(self) == ByteScan.lowercased(other)
    }
}

extension MIMEMessage {
    /// TEXT, as Dovecot searches it: every header section (the message's,
    /// each part's, each encapsulated message's; encoded-words decoded) and
    /// the decoded text of the text parts. Preambles and epilogues are not text.
    func textContains(_ matcher: CaseInsensitiveMatcher) -> Bool {
        for part in parts {
            if matcher.occurs(in: bytes[part.header.start..<part.header.end]) { return true }
            for field in part.header.fields {
                let value = MIMEHeader.value(field, in: bytes)
                if SearchTextDecoding.hasEncodedWord(value), matcher.occurs(in: SearchTextDecoding.decodeEncodedWords(value)) {
                    return true
                }
            }
        }
        return bodyTextContains(matcher)
    }

    /// Whether the decoded text of any text/* part (undoing base64 and
    /// quoted-printable; Latin-1 converted to UTF-8, other charsets compared
    /// as they are) contains the needle. Parts inside message/rfc822 parts count too.
    func bodyTextContains(_ matcher: CaseInsensitiveMatcher) -> Bool {
        var pending = [Self.root]
        while let index = pending.popLast() {
            switch parts[index].kind {
            case .multipart(let children): pending += children.reversed()
            case .message(let message): pending.append(message)
            case .single:
                guard parts[index].contentType.isText else { continue }
                var text = decodedBody(index) ?? Array(bytes[parts[index].bodyStart..<parts[index].bodyEnd])
                if let charset = parts[index].contentType.parameter("charset"), SearchTextDecoding.isLatin1(charset) {
                    text = SearchTextDecoding.latin1ToUTF8(text)
                }
                if matcher.occurs(in: text) { return true }
            }
        }
        return false
    }
}
