import IMAPProtocol
import Testing

@Suite("SEARCH criteria (RFC 9051 § 6.4.4)")
struct SearchKeyTests {
    func criteria(_ text: String) throws(SearchKey.Invalid) -> SearchKey {
        if text.isEmpty { return try SearchKey.parse([]) }
        var framer = IMAPCommandFramer()
        guard case .command(let command)? = framer.feed(Array("t SEARCH \(text)\r\n".utf8)).first,
            let parsed = try? IMAPCommandParser().parse(command)
        else { throw SearchKey.Invalid(reason: "not parsed") }
        return try SearchKey.parse(parsed.arguments)
    }

    func s(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("what mail clients send: flags, strings, dates, OR, NOT, sets, nested lists")
    func typical() throws {
        #expect(try criteria("UNSEEN") == .flag("\\Seen", set: false))
        #expect(
            try criteria("OR FROM \"alice\" TO {3+}\r\nbob SINCE 1-Feb-2026")
                == .and([
                    .or(.header("From", contains: s("alice")), .header("To", contains: s("bob"))),
                    .date(.arrival, .since, SearchKey.SearchDate("1-Feb-2026")!),
                ]))
        #expect(
            try criteria("CHARSET UTF-8 NOT (DELETED KEYWORD $Junk) UID 1:100 LARGER 1024 1,3:*")
                == .and([
                    .not(.and([.flag("\\Deleted", set: true), .keyword("$Junk", set: true)])), .uid(SequenceSet("1:100")!),
                    .larger(1024), .sequence(SequenceSet("1,3:*")!),
                ]))
        #expect(
            try criteria("HEADER List-Id \"sims.test\" SENTBEFORE \"01-Jan-2027\"")
                == .and([
                    .header("List-Id", contains: s("sims.test")), .date(.sent, .before, SearchKey.SearchDate("1-Jan-2027")!),
                ]))
    }

    @Test(
        "wrong criteria say why",
        arguments: [
            ("", "SEARCH needs"), ("FROM", "FROM needs a string"), ("SINCE 31-Foo-2026", "SINCE needs a date"),
            ("SINCE 1-Feb-26", "SINCE needs a date"), ("LARGER -5", "LARGER needs a number"), ("UID 0", "UID needs"),
            ("FROBNICATE", "Unknown search criterion"), ("CHARSET KOI8-R ALL", "[BADCHARSET"), ("()", "Empty parentheses"),
            ("OR SEEN", "Missing search criterion"),
        ])
    func invalid(text: String, reason: String) {
        do {
            let key = try criteria(text)
            Issue.record("\(text) parsed as \(key)")
        } catch {
            #expect(error.reason.hasPrefix(reason), "\(text): \(error.reason)")
        }
    }

    @Test("a chain of a thousand NOTs (one line) is refused, not recursed into")
    func deepNot() throws {
        #expect(throws: SearchKey.Invalid(reason: "Search criteria nested too deeply")) {
            try criteria(String(repeating: "NOT ", count: 1000) + "ALL")
        }
        let tenNots = try criteria(String(repeating: "NOT ", count: 10) + "ALL")
        #expect(tenNots != .all)
    }

    @Test("dates compare as days")
    func dates() throws {
        let a = try #require(SearchKey.SearchDate("9-Dec-2026"))
        let b = try #require(SearchKey.SearchDate("10-dec-2026"))
        #expect(a < b && a.month == 12)
    }
}
