import MailCore
import Testing

@Suite("LogField: how client values are written in the log")
struct LogFieldTests {
    @Test("Ordinary values are written as they are")
    func ordinary() {
        #expect(LogField.word("alice@example.test") == "alice@example.test")
        #expect(LogField.address("bob@remote.test") == "<bob@remote.test>")
        #expect(LogField.text("MAIL FROM:<bob@remote.test> SIZE=12") == "MAIL FROM:<bob@remote.test> SIZE=12")
        #expect(LogField.path(.null) == "<>")
        #expect(LogField.path(.localPostmaster) == "<Postmaster>")
    }

    @Test("Controls, line ends, quotes, backslashes and non-ASCII are escaped in text")
    func text() {
        #expect(LogField.text("a\r\nb\u{1B}[2J\u{0}") == #"a\x0d\x0ab\x1b[2J\x00"#)
        #expect(LogField.text(#"say "hi" \o/"#) == #"say \x22hi\x22 \x5co/"#)
        #expect(LogField.text("caf\u{E9}\u{2028}") == #"caf\u{e9}\u{2028}"#)
        #expect(LogField.text(bytes: [0x41, 0xFF, 0x0A]) == #"A\u{fffd}\x0a"#)
    }

    @Test("A word has no space and none of the log's delimiters; empty is \"\"")
    func word() {
        #expect(LogField.word("x from 6.6.6.6") == #"x\x20from\x206.6.6.6"#)
        #expect(LogField.word("<a>") == #"\x3ca\x3e"#)
        #expect(LogField.word("") == #""""#)
        #expect(LogField.unescape(#""""#) == "")
    }

    @Test("A quoted local part that looks like a fate line stays one address")
    func forgedAddress() throws {
        let mailbox = Mailbox(localPart: "x> relayed: ", domain: .name("evil.example"))
        let written = LogField.path(.mailbox(mailbox))
        #expect(written == #"<\x22x\x3e\x20relayed:\x20\x22@evil.example>"#)
        #expect(written.firstIndex(of: ">") == written.index(before: written.endIndex))
        #expect(LogField.unescape(written.dropFirst().dropLast()) == mailbox.description)
    }

    @Test("Escaping round-trips for every kind of value", arguments: 0..<200)
    func roundTrip(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let alphabet: [Unicode.Scalar] = [
            "a", " ", "\"", "\\", "<", ">", "\r", "\n", "\u{0}", "\u{1B}", "x", "{", "}",
            "\u{E9}", "\u{2028}", "\u{202E}", "]", "[", ":", "u",
        ]
        var value = ""
        for _ in 0..<Int.random(in: 0...12, using: &generator) {
            value.unicodeScalars.append(alphabet.randomElement(using: &generator)!)
        }
        for written in [LogField.text(value), LogField.word(value)] {
            #expect(LogField.unescape(written) == value)
            #expect(!written.unicodeScalars.contains { $0.value < 0x20 || $0.value >= 0x7F })
        }
        #expect(!LogField.word(value).contains(" ") && !LogField.word(value).contains(">"))
        #expect(!LogField.text(value).contains("\""))
    }

    @Test("The line-safe net escapes line ends and controls but keeps the server's own words")
    func lineSafe() {
        #expect(LogField.lineSafe("RFC 5321 § 4.5.5 …") == "RFC 5321 § 4.5.5 …")
        #expect(LogField.lineSafe("a\nb\u{85}c\u{2029}") == #"a\x0ab\u{85}c\u{2029}"#)
    }
}

@Suite("RecipientFate: the fate words have one owner")
struct RecipientFateTests {
    @Test("Every fate round-trips through its line, whatever the address holds", arguments: RecipientFate.allCases)
    func roundTrip(fate: RecipientFate) {
        for local in ["bob", "x> relayed: ", "a\"b> refused relay: c", "<>", " sent: "] {
            let mailbox = Mailbox(localPart: local, domain: .name("remote.test"))
            let line = fate.line(.mailbox(mailbox), "detail with <brackets> and \"quotes\"")
            let parsed = RecipientFate.parse(line)
            #expect(parsed?.fate == fate)
            #expect(parsed?.recipient == mailbox.description)
            #expect(parsed?.detail == "detail with <brackets> and \"quotes\"")
        }
    }

    @Test("refused relay is not read as refused; greylisting has its own word")
    func words() {
        #expect(RecipientFate.parse("<a@b> refused relay: x")?.fate == .refusedRelay)
        #expect(RecipientFate.parse("<a@b> refused: x")?.fate == .refused)
        #expect(RecipientFate.parse("<a@b> greylisted: x")?.fate == .greylisted)
        #expect(RecipientFate.parse("<a@b> accepted: x") == nil)
        #expect(!RecipientFate.greylisted.wasAccepted && RecipientFate.deferred.wasAccepted)
    }
}

@Suite("AuditedLogLevels")
struct AuditedLogLevelsTests {
    @Test("Modules below level 2 are too low, from the default or their own setting")
    func tooLow() {
        #expect(AuditedLogLevels.tooLow(levels: [:], defaultLevel: 2).isEmpty)
        #expect(AuditedLogLevels.tooLow(levels: ["QUEUE": 1], defaultLevel: 3).map(\.module) == ["QUEUE"])
        #expect(AuditedLogLevels.tooLow(levels: ["SMTP": 2], defaultLevel: 1).map(\.module) == ["SUBMIT", "POP3", "QUEUE"])
    }

    @Test("The startup line round-trips")
    func startupLine() {
        let line = AuditedLogLevels.startupLine(levels: [("SMTP", 1), ("QUEUE", 4)])
        #expect(line == "log levels: SMTP=1 QUEUE=4")
        #expect(
            AuditedLogLevels.parseStartupLine(line.dropFirst(AuditedLogLevels.startupPrefix.count)) == ["SMTP": 1, "QUEUE": 4])
    }
}

/// A small deterministic generator (SplitMix64), so failures repeat.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
