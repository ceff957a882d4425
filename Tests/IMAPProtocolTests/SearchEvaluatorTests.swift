import IMAPProtocol
import Testing

@Suite("SEARCH evaluation, RETURN options and ESEARCH (RFC 9051 § 6.4.4, RFC 4731, RFC 5182)")
struct SearchEvaluatorTests {
    func arguments(_ text: String) -> [IMAPValue] {
        var framer = IMAPCommandFramer()
        guard case .command(let command)? = framer.feed(Array("t SEARCH \(text)\r\n".utf8)).first,
            let parsed = try? IMAPCommandParser().parse(command)
        else { return [] }
        return parsed.arguments
    }

    func evaluator(_ criteria: String, saved: [UInt32]? = nil) throws -> SearchEvaluator {
        SearchEvaluator(key: try SearchKey.parse(arguments(criteria)), lastSequence: 10, lastUID: 500, savedResult: saved)
    }

    /// Message 3, UID 300: \Seen and \Flagged, keyword $Work, 2000 octets,
    /// arrived 2026-12-08 02:00 UTC (still 7 Dec in New York).
    let candidate = SearchCandidate(
        sequence: 3, uid: 300, systemFlags: ["\\Seen", "\\Flagged"], keywords: ["$Work"], size: 2000,
        internalDate: 1_796_695_200)

    let message = MIMEMessage(mixedWithAttachment)

    func matches(_ criteria: String, saved: [UInt32]? = nil) throws -> Bool {
        try evaluator(criteria, saved: saved).matches(candidate, message: message)
    }

    @Test("flags, keywords, NEW/OLD/RECENT, sizes")
    func flagsAndSizes() throws {
        #expect(try matches("SEEN FLAGGED UNANSWERED UNDELETED UNDRAFT"))
        #expect(try !matches("UNSEEN"))
        #expect(try !matches("ANSWERED"))
        #expect(try !matches("DELETED"))
        #expect(try !matches("DRAFT"))
        #expect(try !matches("UNFLAGGED"))
        #expect(try !matches("NEW"))
        #expect(try matches("OLD"))
        #expect(try !matches("RECENT"))
        #expect(try matches("KEYWORD $work"))
        #expect(try !matches("UNKEYWORD $WORK"))
        #expect(try matches("UNKEYWORD $Junk"))
        #expect(try matches("LARGER 1999 SMALLER 2001"))
        #expect(try !matches("LARGER 2000"))
        #expect(try !matches("SMALLER 2000"))
        #expect(try matches("ALL"))
        #expect(try !evaluator("ALL").needsMessage)
        #expect(try !evaluator("SEEN OR LARGER 1 UID 3 NOT BEFORE 1-Jan-2020").needsMessage)
    }

    @Test("\\Recent is never set, even when asked for as a flag")
    func recent() {
        let evaluator = SearchEvaluator(key: .flag("\\Recent", set: true), lastSequence: 10, lastUID: 500)
        #expect(!evaluator.matches(candidate, message: nil))
    }

    @Test("sequence sets with *, UID sets, $ from the saved result")
    func sets() throws {
        #expect(try matches("3"))
        #expect(try matches("1,3:4"))
        #expect(try !matches("4:*"))
        #expect(try matches("*:2"))
        #expect(try matches("UID 300"))
        #expect(try matches("UID 301:*") == false)
        #expect(try matches("UID 250:*"))
        #expect(try matches("$", saved: [300, 7]))
        #expect(try matches("UID $", saved: [300]))
        #expect(try !matches("$", saved: [3]))
        #expect(try !matches("$"))
        let last = SearchCandidate(sequence: 10, uid: 500, systemFlags: [], keywords: [], size: 0, internalDate: 0)
        #expect(try evaluator("*").matches(last, message: nil))
        #expect(try evaluator("UID *").matches(last, message: nil))
    }

    @Test("internal dates compare by the UTC day; SENT* by the Date: header's own day")
    func dates() throws {
        #expect(try matches("ON 8-Dec-2026"))
        #expect(try matches("SINCE 8-Dec-2026"))
        #expect(try !matches("SINCE 9-Dec-2026"))
        #expect(try matches("BEFORE 9-Dec-2026"))
        #expect(try !matches("BEFORE 8-Dec-2026"))
        #expect(try matches("SENTON 7-Dec-2026"))
        #expect(try matches("SENTBEFORE 8-Dec-2026"))
        #expect(try !matches("SENTBEFORE 7-Dec-2026"))
        #expect(try matches("SENTSINCE 7-Dec-2026"))
        #expect(try !matches("SENTSINCE 8-Dec-2026"))
        #expect(try evaluator("SENTON 7-Dec-2026").needsMessage)
        let undated = MIMEMessage(wireMessage("Subject: x\n\n"))
        // Without a Date: header, as in Dovecot: before any day, never on or since one.
        #expect(try !evaluator("SENTSINCE 1-Jan-1970").matches(candidate, message: undated))
        #expect(try !evaluator("SENTON 1-Jan-1970").matches(candidate, message: undated))
        #expect(try evaluator("SENTBEFORE 1-Jan-1970").matches(candidate, message: undated))
        let before1970 = SearchCandidate(sequence: 1, uid: 1, systemFlags: [], keywords: [], size: 0, internalDate: -1)
        #expect(try evaluator("ON 31-Dec-1969").matches(before1970, message: nil))
    }

    @Test("header and address keys: case-insensitive substrings; HEADER with \"\" means the field exists")
    func headers() throws {
        #expect(try matches("FROM ALICE"))
        #expect(try matches("FROM \"alice example\""))
        #expect(try matches("TO bob@EXAMPLE.net"))
        #expect(try !matches("TO alice"))
        #expect(try !matches("CC bob"))
        #expect(try !matches("BCC bob"))
        #expect(try matches("SUBJECT report"))
        #expect(try matches("HEADER Message-ID \"<M1@\""))
        #expect(try matches("HEADER mime-version \"\""))
        #expect(try !matches("HEADER X-Spam \"\""))
        #expect(try evaluator("FROM a").needsMessage)
        // Without the message, text criteria cannot match.
        #expect(try !evaluator("FROM alice").matches(candidate, message: nil))
    }

    @Test("BODY searches decoded text parts only; TEXT adds the header")
    func bodyAndText() throws {
        // "Café" is quoted-printable in the message: found decoded, in UTF-8.
        #expect(try matches("CHARSET UTF-8 BODY {5+}\r\ncafé"))
        #expect(try matches("BODY \"report attached\""))
        #expect(try matches("BODY <P>"))
        // The PDF attachment's decoded text is not searched; its base64 neither.
        #expect(try !matches("BODY \"Hello, PDF\""))
        #expect(try !matches("BODY Subject"))
        #expect(try matches("TEXT Subject"))
        #expect(try matches("TEXT {5+}\r\ncafÉ") == false)  // É is not ASCII: no folding for it.
        #expect(try matches("TEXT \"report attached\""))
        #expect(try !matches("TEXT nowhere"))
        // TEXT covers the parts' MIME headers too, but not preamble or epilogue (Dovecot does the same).
        #expect(try matches("TEXT \"Content-Type: application/pdf\""))
        #expect(try !matches("TEXT preamble"))
        #expect(try !matches("TEXT epilogue"))
        let base64 = MIMEMessage(wireMessage("Content-Transfer-Encoding: base64\n\naGlkZGVuIHdvcmQ=\n"))
        #expect(try evaluator("BODY \"HIDDEN word\"").matches(candidate, message: base64))
        // A hostile needle against a large body stays linear (KMP).
        let large = MIMEMessage(Array("\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 2_000_000))
        let needle = [UInt8](repeating: UInt8(ascii: "A"), count: 5000) + [UInt8(ascii: "b")]
        let hostile = SearchEvaluator(key: .body(contains: needle), lastSequence: 10, lastUID: 500)
        #expect(!hostile.matches(candidate, message: large))
        #expect(
            SearchEvaluator(key: .body(contains: Array(needle.dropLast())), lastSequence: 10, lastUID: 500).matches(
                candidate, message: large))
    }

    @Test("encoded-words in headers and Latin-1 bodies are searched as UTF-8")
    func charsets() throws {
        let message = MIMEMessage(
            wireMessage(
                """
                Subject: =?UTF-8?Q?Caf=C3=A9?= =?ISO-8859-1?B?6XTp?= and =?utf-8?q?more_text?=
                X-Broken: =?UTF-8?Q?unterminated and =?x?y?z?= =?UTF-8?B?
                Content-Type: text/plain; charset=ISO-8859-1
                Content-Transfer-Encoding: quoted-printable

                Cr=E8me br=FBl=E9e
                """))
        func search(_ key: SearchKey) -> Bool {
            SearchEvaluator(key: key, lastSequence: 10, lastUID: 500).matches(candidate, message: message)
        }
        // The blank between two encoded-words is not text (RFC 2047 § 6.2).
        #expect(search(.header("Subject", contains: Array("caféété and more text".utf8))))
        // Like Dovecot, the encoded form itself is not searched.
        #expect(!search(.header("subject", contains: Array("Caf=C3".utf8))))
        #expect(search(.text(contains: Array("CAFé".utf8))))
        #expect(search(.header("X-Broken", contains: Array("=?UTF-8?Q?unterminated and =?x?y?z?=".utf8))))
        #expect(search(.body(contains: Array("crème brûlée".utf8))))
        #expect(!search(.body(contains: Array("Cr=E8me".utf8))))
        // Hostile: many starts of encoded-words, none ever ending, in one long header.
        let hostile = MIMEMessage(
            Array("Subject: ".utf8) + Array(repeating: Array("=?a?b?x".utf8), count: 100_000).flatMap { $0 }
                + Array("\r\n\r\n".utf8))
        #expect(
            !SearchEvaluator(key: .header("Subject", contains: Array("zz".utf8)), lastSequence: 1, lastUID: 1).matches(
                candidate, message: hostile))
    }

    @Test("NOT, OR, AND and parentheses")
    func logic() throws {
        #expect(try matches("NOT DELETED"))
        #expect(try !matches("NOT SEEN"))
        #expect(try matches("OR DELETED SEEN"))
        #expect(try !matches("OR DELETED DRAFT"))
        #expect(try matches("(SEEN FLAGGED) OR (DELETED) (FROM alice)"))
        #expect(try !matches("SEEN DELETED"))
        #expect(try evaluator("OR SEEN (NOT BODY x)").needsMessage)
    }

    @Test("RETURN options are read before the criteria")
    func returnOptions() throws {
        #expect(try SearchCommand.parse(arguments("SEEN")) == SearchCommand(returnOptions: nil, key: .flag("\\Seen", set: true)))
        #expect(
            try SearchCommand.parse(arguments("RETURN (min MAX COUNT ALL SAVE) CHARSET UTF-8 UNSEEN"))
                == SearchCommand(returnOptions: [.min, .max, .count, .all, .save], key: .flag("\\Seen", set: false)))
        #expect(try SearchCommand.parse(arguments("RETURN () ALL")) == SearchCommand(returnOptions: [], key: .all))
        #expect(throws: SearchKey.Invalid.self) { try SearchCommand.parse(arguments("RETURN (PARTIAL) ALL")) }
        #expect(throws: SearchKey.Invalid.self) { try SearchCommand.parse(arguments("RETURN ALL")) }
        #expect(throws: SearchKey.Invalid.self) { try SearchCommand.parse(arguments("RETURN (MIN)")) }
    }

    @Test("SEARCH and ESEARCH response lines")
    func responses() {
        #expect(
            SearchResponse.lines(tag: "A1", uid: false, matches: [7, 2, 5], options: nil, esearch: false) == "* SEARCH 2 5 7\r\n")
        #expect(SearchResponse.lines(tag: "A1", uid: false, matches: [], options: nil, esearch: false) == "* SEARCH\r\n")
        #expect(
            SearchResponse.lines(tag: "A1", uid: true, matches: [2, 5, 7], options: [.min, .max, .count, .all], esearch: false)
                == "* ESEARCH (TAG \"A1\") UID MIN 2 MAX 7 ALL 2,5,7 COUNT 3\r\n")
        // Exactly what Dovecot 2.3.19 sent for SEARCH RETURN (MIN MAX COUNT ALL) 2:3,5:6.
        #expect(
            SearchResponse.lines(
                tag: "b", uid: false, matches: [2, 3, 5, 6], options: [.min, .max, .count, .all], esearch: false)
                == "* ESEARCH (TAG \"b\") MIN 2 MAX 6 ALL 2:3,5:6 COUNT 4\r\n")
        #expect(
            SearchResponse.lines(tag: "A282", uid: false, matches: [2, 3, 4, 7, 10, 11], options: [], esearch: false)
                == "* ESEARCH (TAG \"A282\") ALL 2:4,7,10:11\r\n")
        #expect(
            SearchResponse.lines(tag: "A283", uid: false, matches: [9, 4], options: nil, esearch: true)
                == "* ESEARCH (TAG \"A283\") ALL 4,9\r\n")
        #expect(
            SearchResponse.lines(tag: "t", uid: false, matches: [], options: [.min, .max, .count, .all], esearch: true)
                == "* ESEARCH (TAG \"t\") COUNT 0\r\n")
        #expect(
            SearchResponse.lines(tag: "t", uid: false, matches: [], options: [.min], esearch: true) == "* ESEARCH (TAG \"t\")\r\n"
        )
        #expect(SearchResponse.lines(tag: "t", uid: false, matches: [1], options: [.save], esearch: true) == "")
        #expect(
            SearchResponse.lines(
                tag: "t", uid: false, matches: [1, 4_294_967_295, 4_294_967_294], options: [.save, .all], esearch: true)
                == "* ESEARCH (TAG \"t\") ALL 1,4294967294:4294967295\r\n")
    }
}
