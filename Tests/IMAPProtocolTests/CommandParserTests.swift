import IMAPProtocol
import Testing

@Suite("IMAP command parser: tags, atoms, strings, literals, lists, sections")
struct CommandParserTests {
    func parse(_ text: String) throws(IMAPSyntaxError) -> IMAPCommand {
        var framer = IMAPCommandFramer()
        let events = framer.feed(Array(text.utf8))
        guard case .command(let command)? = events.last else {
            throw IMAPSyntaxError(tag: "?", text: "not framed: \(events)")
        }
        return try IMAPCommandParser().parse(command)
    }

    func s(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("LOGIN with a quoted string and a literal password")
    func login() throws {
        let command = try parse("a001 login \"alice@example.test\" {7+}\r\np\"ss wd\r\n")
        #expect(command.tag == "a001")
        #expect(command.name == "LOGIN")
        #expect(command.arguments == [.quoted(s("alice@example.test")), .literal(s("p\"ss wd"), binary: false)])
    }

    @Test("FETCH with a section that holds a list and a partial, kept as one atom")
    func fetchSection() throws {
        let command = try parse("A5 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100> RFC822.SIZE)\r\n")
        #expect(command.name == "UID")
        #expect(
            command.arguments == [
                .atom("FETCH"), .atom("1:*"),
                .list([.atom("FLAGS"), .atom("BODY.PEEK[HEADER.FIELDS (From To)]<0.100>"), .atom("RFC822.SIZE")]),
            ])
    }

    @Test("STORE flags with backslashes; NIL in any case is NIL; escapes in quoted strings")
    func storeAndNil() throws {
        let store = try parse("t STORE 2:4 +FLAGS.SILENT (\\Seen \\Deleted $Junk)\r\n")
        #expect(
            store.arguments == [
                .atom("2:4"), .atom("+FLAGS.SILENT"), .list([.atom("\\Seen"), .atom("\\Deleted"), .atom("$Junk")]),
            ])
        let list = try parse("t LIST nil \"a \\\"b\\\" \\\\c\"\r\n")
        #expect(list.arguments == [.nil, .quoted(s("a \"b\" \\c"))])
        let pattern = try parse("t LIST \"\" %.Sent*\r\n")
        #expect(pattern.arguments == [.quoted([]), .atom("%.Sent*")])
    }

    @Test("SEARCH with nested lists and a literal inside a list")
    func nestedSearch() throws {
        let command = try parse("s SEARCH OR (FROM {3+}\r\nbob SINCE 1-Feb-2026) NOT (UNSEEN)\r\n")
        #expect(
            command.arguments == [
                .atom("OR"), .list([.atom("FROM"), .literal(s("bob"), binary: false), .atom("SINCE"), .atom("1-Feb-2026")]),
                .atom("NOT"), .list([.atom("UNSEEN")]),
            ])
    }

    @Test(
        "malformed commands are BAD with the tag, never a trap",
        arguments: [
            ("x", "Missing command"), ("x  NOOP", "Missing command"), ("x NOOP  a", "Unexpected character"),
            ("x LOGIN \"unterminated", "Unterminated quoted string"), ("x LOGIN \"a\\nb\" c", "Invalid escape"),
            ("x FETCH 1 (FLAGS", "Expected a space or )"), ("x FETCH 1 (", "Missing argument"),
            ("x STORE 1 FLAGS (\\)", "Unexpected character"), ("x FETCH 1 BODY[HEADER", "Unterminated ["),
            ("x FETCH 1 (FLAGS)(UID)", "Expected a space"), ("+ NOOP", "Missing tag"),
        ])
    func malformed(line: String, reason: String) {
        do {
            let command = try parse(line + "\r\n")
            Issue.record("parsed \(line) as \(command)")
        } catch {
            #expect(error.text.hasPrefix(reason), "\(line): \(error.text)")
            #expect(error.tag == (line.hasPrefix("+") ? "*" : "x"))
        }
    }

    @Test("a thousand opening parentheses are refused, not recursed into")
    func deepNesting() {
        #expect(throws: IMAPSyntaxError.self) { try parse("d SEARCH " + String(repeating: "(", count: 1000) + "ALL\r\n") }
    }

    @Test("every byte value in every position: the parser answers, it never traps")
    func anyBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<40, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes.removeAll { $0 == UInt8(ascii: "\n") }
            _ = try? IMAPCommandParser().parse(IMAPCommandText(segments: [.line(Array("t ".utf8) + bytes)]))
        }
    }
}

@Suite("Sequence sets")
struct SequenceSetTests {
    @Test func parsesAndMatches() throws {
        let set = try #require(SequenceSet("1:3,7,10:*"))
        #expect(set.contains(2, last: 12) && set.contains(7, last: 12) && set.contains(12, last: 12))
        #expect(!set.contains(5, last: 12) && !set.contains(9, last: 12))
        #expect(try #require(SequenceSet("5:2")).contains(3, last: 9), "a range may run backwards")
        #expect(try #require(SequenceSet("*")).contains(9, last: 9))
        #expect(try #require(SequenceSet("$")).isSavedResult)
    }

    @Test(arguments: ["", "0", "1,", ":3", "1:2:3", "01", "4294967296", "a", "1,,2", "-1"])
    func rejects(text: String) {
        #expect(SequenceSet(text) == nil)
    }
}
