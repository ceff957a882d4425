/// One IMAP command as it arrived: its lines and the literals between them.
///
/// `A1 LOGIN {5}\r\nalice {6+}\r\nsecret\r\n` is the segments
/// `.line("A1 LOGIN ")`, `.literal("alice")`, `.line(" ")`,
/// `.literal("secret")`, `.line("")`. The literal announcements (`{5}`) are
/// not in the lines: the parser sees a literal where one was announced.
public struct IMAPCommandText: Equatable, Sendable {
    public enum Segment: Equatable, Sendable {
        case line([UInt8])
        /// `binary` for RFC 3516's `~{n}` (literal8, may hold NUL).
        case literal([UInt8], binary: Bool)
    }

    public var segments: [Segment]

    public init(segments: [Segment]) {
        self.segments = segments
    }

    /// The tag, read from the first line: what a BAD reply to a command that
    /// could not be framed or parsed still answers to (`*` when there is none).
    public var tag: String {
        guard case .line(let bytes)? = segments.first else { return "*" }
        let tag = bytes.prefix { $0 != UInt8(ascii: " ") }
        guard !tag.isEmpty, tag.allSatisfy(IMAPGrammar.isTagCharacter) else { return "*" }
        return String(decoding: tag, as: UTF8.self)
    }
}

/// What the framer saw.
public enum IMAPFramerEvent: Equatable, Sendable {
    /// A whole command, literals included.
    case command(IMAPCommandText)
    /// The client announced a synchronizing literal (`{n}`) of acceptable
    /// size and waits for `+ ` before sending it.
    case continuationRequest
    /// A line longer than the limit: dropped as it arrived, up to its line
    /// end. The rest of the command (if it announced literals) is lost
    /// with it; the session answers BAD with the tag.
    case lineTooLong(tag: String)
    /// A literal over the limit. Nothing of it has been read: for a
    /// synchronizing literal the client sends nothing more and the command is
    /// over (answer `NO [TOOBIG]`); a non-synchronizing one (`{n+}`) follows
    /// at once and cannot be skipped safely, so the connection must close.
    case literalTooLarge(tag: String, size: UInt64, synchronizing: Bool)
    /// More literals in one command than the limit allows (a client building
    /// a command out of thousands of tiny literals to exhaust memory).
    case tooManyLiterals(tag: String)
}

/// Cuts an IMAP byte stream into commands (RFC 9051 § 2.2, literals § 4.3;
/// LITERAL+/LITERAL- RFC 7888; literal8 RFC 3516), with every limit checked
/// before the bytes it protects are read.
///
/// A value type with no I/O: the driver feeds it bytes and acts on its
/// events. Lines end at LF; a CR before it is removed (clients that send a
/// bare LF, as some scripts do, are tolerated like Dovecot tolerates them).
public struct IMAPCommandFramer: Sendable {
    public struct Limits: Sendable {
        /// Longest line, without its ending (RFC 9051 § 4: at least 8000 octets).
        public var maximumLineLength = 8192
        /// Largest literal: the APPEND size limit.
        public var maximumLiteralSize: UInt64 = 64 << 20
        /// Literals in one command.
        public var maximumLiterals = 1000
        public init() {}
    }

    /// Changed by the driver at login: before it, literals are small (a
    /// user name or password), so a client that has not logged in cannot
    /// make the server hold megabytes.
    public var limits: Limits
    /// Bytes received; those before `start` are consumed (dropped once per
    /// `feed`, so a read of many pipelined lines costs linear time, not a
    /// copy of the rest per line).
    private var pending: [UInt8] = []
    private var start = 0
    /// Where the search for the next LF resumes: bytes before it hold none.
    private var scanned = 0
    private var segments: [IMAPCommandText.Segment] = []
    private var state = State.line
    private var literalCount = 0
    /// Bytes of the literals of the command so far: together at most one
    /// `maximumLiteralSize` (a thousand literals of 64 MiB each would be 64 GB).
    private var literalBytes: UInt64 = 0

    private enum State: Sendable {
        case line
        /// Inside an overlong line: dropping bytes until its LF.
        case discardingLine(tag: String)
        case literal(size: Int, binary: Bool)
    }

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes held that are not yet part of an event.
    public var bufferedBytes: Int { pending.count - start }

    /// Feeds bytes; returns the events they complete, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [IMAPFramerEvent] {
        pending.append(contentsOf: bytes)
        var events: [IMAPFramerEvent] = []
        while let event = nextEvent() { events.append(event) }
        if start > 0 {
            pending.removeFirst(start)
            scanned -= start
            start = 0
        }
        return events
    }

    /// Consumes `count` bytes.
    private mutating func consume(_ count: Int) {
        start += count
        scanned = max(scanned, start)
    }

    /// The index of the next LF after `start`, scanning each byte once.
    private mutating func nextLineFeed() -> Int? {
        let from = max(scanned, start)
        guard let index = pending[from...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = pending.count
            return nil
        }
        return index
    }

    /// Drops everything received so far.
    private mutating func dropAll() {
        start = pending.count
        scanned = start
    }

    private mutating func nextEvent() -> IMAPFramerEvent? {
        while true {
            switch state {
            case .literal(let size, let binary):
                guard pending.count - start >= size else { return nil }
                segments.append(.literal(Array(pending[start..<(start + size)]), binary: binary))
                consume(size)
                state = .line
            case .discardingLine(let tag):
                guard let end = nextLineFeed() else {
                    dropAll()
                    return nil
                }
                consume(end + 1 - start)
                resetCommand()
                return .lineTooLong(tag: tag)
            case .line:
                guard let end = nextLineFeed() else {
                    guard pending.count - start > limits.maximumLineLength + 1 else { return nil }
                    let tag = currentTag()
                    dropAll()
                    state = .discardingLine(tag: tag)
                    continue
                }
                var line = Array(pending[start..<end])
                consume(end + 1 - start)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if line.count > limits.maximumLineLength {
                    let tag = currentTag(firstLine: line)
                    resetCommand()
                    return .lineTooLong(tag: tag)
                }
                guard let announcement = Self.literalAnnouncement(at: line) else {
                    segments.append(.line(line))
                    let command = IMAPCommandText(segments: segments)
                    resetCommand()
                    return .command(command)
                }
                segments.append(.line(Array(line.prefix(announcement.start))))
                let tag = currentTag()
                literalCount += 1
                if literalCount > limits.maximumLiterals {
                    resetCommand()
                    return .tooManyLiterals(tag: tag)
                }
                literalBytes += min(announcement.size, UInt64.max / 4)
                guard literalBytes <= limits.maximumLiteralSize, let size = Int(exactly: announcement.size) else {
                    resetCommand()
                    return .literalTooLarge(tag: tag, size: announcement.size, synchronizing: announcement.synchronizing)
                }
                state = .literal(size: size, binary: announcement.binary)
                if announcement.synchronizing { return .continuationRequest }
            }
        }
    }

    private mutating func resetCommand() {
        segments = []
        literalCount = 0
        literalBytes = 0
        state = .line
    }

    private func currentTag(firstLine: [UInt8]? = nil) -> String {
        if !segments.isEmpty { return IMAPCommandText(segments: segments).tag }
        return IMAPCommandText(segments: [.line(firstLine ?? Array(pending[start...].prefix(64)))]).tag
    }

    /// `{123}`, `{123+}` or `~{123}` at the very end of a line.
    static func literalAnnouncement(at line: [UInt8]) -> (start: Int, size: UInt64, synchronizing: Bool, binary: Bool)? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var digits = line[(open + 1)..<(line.count - 1)]
        var synchronizing = true
        if digits.last == UInt8(ascii: "+") {
            synchronizing = false
            digits = digits.dropLast()
        }
        // RFC 9051: number64; at most 19 digits keeps it in a UInt64.
        guard !digits.isEmpty, digits.count <= 19, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let size = digits.reduce(UInt64(0)) { $0 * 10 + UInt64($1 - 0x30) }
        let binary = open > 0 && line[open - 1] == UInt8(ascii: "~")
        return (binary ? open - 1 : open, size, synchronizing, binary)
    }
}
