import IMAPProtocol
import Testing

/// A message written with `\n` as it would appear on the wire (CRLF).
func wireMessage(_ text: String) -> [UInt8] {
    Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// multipart/mixed: an alternative (plain + html) and a base64 attachment.
let mixedWithAttachment = wireMessage(
    """
    From: "Alice Example" <alice@example.org>
    To: bob@example.net
    Subject: Report
    Date: Mon, 7 Dec 2026 23:30:00 -0500
    Message-ID: <m1@example.org>
    MIME-Version: 1.0
    Content-Type: multipart/mixed; boundary="outer"

    preamble
    --outer
    Content-Type: multipart/alternative; boundary=inner

    --inner
    Content-Type: text/plain; charset=UTF-8
    Content-Transfer-Encoding: quoted-printable

    Caf=C3=A9 report=
     attached
    --inner
    Content-Type: text/html; charset=UTF-8

    <p>Caf\u{e9}</p>
    --inner--
    --outer
    Content-Type: application/pdf; name="r.pdf"
    Content-Disposition: attachment; filename="r.pdf"
    Content-Transfer-Encoding: base64
    Content-ID: <pdf1>
    Content-Language: en, de

    SGVsbG8s
    IFBERg==
    --outer--
    epilogue

    """)

@Suite("MIME messages for FETCH (RFC 9051 § 6.4.5, § 7.5.2)")
struct MIMEMessageTests {
    @Test("a plain message: BODYSTRUCTURE as Dovecot writes it, sections, partials")
    func plain() {
        let message = MIMEMessage(wireMessage("Subject: hi\nFrom: a@b.c\n\nHello World\n"))
        #expect(
            text(message.bodyStructure(extensible: true))
                == #"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 1 NIL NIL NIL NIL)"#)
        #expect(text(message.bodyStructure(extensible: false)) == #"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 1)"#)
        #expect(text(message.section(.init(text: .header))) == "Subject: hi\r\nFrom: a@b.c\r\n\r\n")
        #expect(text(message.section(.init(text: .text))) == "Hello World\r\n")
        #expect(text(message.section(.init(part: [1]))) == "Hello World\r\n")
        #expect(text(message.section(.init(part: [1], text: .mime))) == "Subject: hi\r\nFrom: a@b.c\r\n\r\n")
        #expect(message.section(.init(part: [2])) == [])
        #expect(message.section(.init(part: [1, 1])) == [])
        #expect(message.section(.init(part: [1], text: .header)) == [])
        #expect(message.section(.init()) == wireMessage("Subject: hi\nFrom: a@b.c\n\nHello World\n"))
        let partial = FetchAttribute.Partial(start: 6, count: 5)
        #expect(text(partial.apply(to: message.section(.init(text: .text)))) == "World")
        #expect(FetchAttribute.Partial(start: 100, count: 5).apply(to: Array("abc".utf8)) == [])
        #expect(text(FetchAttribute.Partial(start: 1, count: 100).apply(to: Array("abc".utf8))) == "bc")
    }

    @Test("HEADER.FIELDS and HEADER.FIELDS.NOT match names case-insensitively and keep folding")
    func headerFields() {
        let message = MIMEMessage(wireMessage("SUBJECT: a\n long one\nfrom: x@y.z\nTo: t@u.v\nsubject: second\n\nbody\n"))
        #expect(
            text(message.section(.init(text: .headerFields(["Subject"]))))
                == "SUBJECT: a\r\n long one\r\nsubject: second\r\n\r\n")
        #expect(text(message.section(.init(text: .headerFieldsNot(["SUBJECT", "To"])))) == "from: x@y.z\r\n\r\n")
        #expect(text(message.section(.init(text: .headerFields(["X-None"])))) == "\r\n")
        #expect(message.headerValues("subject").map(text) == ["a long one", "second"])
    }

    @Test("multipart/mixed with an alternative and an attachment: structure, numbering, BINARY")
    func multipart() {
        let message = MIMEMessage(mixedWithAttachment)
        let expected =
            #"((("text" "plain" ("charset" "UTF-8") NIL NIL "quoted-printable" 28 1 NIL NIL NIL NIL)"#
            + #"("text" "html" ("charset" "UTF-8") NIL NIL "7bit" 12 0 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL)"#
            + #"("application" "pdf" ("name" "r.pdf") "<pdf1>" NIL "base64" 18 NIL ("attachment" ("filename" "r.pdf")) ("en" "de") NIL)"#
            + #" "mixed" ("boundary" "outer") NIL NIL NIL)"#
        #expect(text(message.bodyStructure(extensible: true)) == expected)
        #expect(
            text(message.bodyStructure(extensible: false))
                == #"((("text" "plain" ("charset" "UTF-8") NIL NIL "quoted-printable" 28 1)"#
                + #"("text" "html" ("charset" "UTF-8") NIL NIL "7bit" 12 0) "alternative")"#
                + #"("application" "pdf" ("name" "r.pdf") "<pdf1>" NIL "base64" 18) "mixed")"#)
        #expect(text(message.section(.init(part: [1, 1]))) == "Caf=C3=A9 report=\r\n attached")
        #expect(text(message.section(.init(part: [1, 2]))) == "<p>Caf\u{e9}</p>")
        #expect(
            text(message.section(.init(part: [1, 1], text: .mime)))
                == "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
        #expect(text(message.section(.init(part: [2]))) == "SGVsbG8s\r\nIFBERg==")
        #expect(message.binary(part: [2]) == .content(Array("Hello, PDF".utf8)))
        #expect(message.binary(part: [1, 1]) == .content(Array("Café report attached".utf8)))
        #expect(message.binary(part: [1, 3]) == .noSuchPart)
        #expect(message.binary(part: [3]) == .noSuchPart)
        #expect(message.section(.init(part: [3])) == [])
        #expect(text(message.section(.init(part: [1]))).hasPrefix("--inner\r\nContent-Type: text/plain"))
        // Dovecot keeps a nested multipart's closing line break in it.
        #expect(text(message.section(.init(part: [1]))).hasSuffix("--inner--\r\n"))
        // A body part is its own part 1, as Dovecot answers.
        #expect(text(message.section(.init(part: [2, 1]))) == "SGVsbG8s\r\nIFBERg==")
    }

    @Test("an unknown transfer encoding is reported for BINARY")
    func unknownEncoding() {
        let message = MIMEMessage(wireMessage("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 a\n"))
        #expect(message.binary(part: [1]) == .unknownEncoding)
        #expect(
            MIMEMessage(wireMessage("Content-Transfer-Encoding: 8BIT\n\nabc")).binary(part: [1]) == .content(Array("abc".utf8)))
    }

    @Test("message/rfc822 nesting: envelope and body inside, n.HEADER, n.TEXT, n.1")
    func encapsulated() {
        let message = MIMEMessage(
            wireMessage(
                """
                From: a@example.org
                Subject: Fwd
                Content-Type: multipart/mixed; boundary=b

                --b
                Content-Type: text/plain

                see below
                --b
                Content-Type: message/rfc822

                From: Carol <carol@example.com>
                Subject: inner
                Message-ID: <inner@x>

                inner body
                --b--
                """))
        let inner =
            #"("message" "rfc822" NIL NIL NIL "7bit" 84 ("#
            + #"NIL "inner" (("Carol" NIL "carol" "example.com")) (("Carol" NIL "carol" "example.com")) (("Carol" NIL "carol" "example.com")) NIL NIL NIL NIL "<inner@x>") "#
            + #"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 0 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)"#
        #expect(
            text(message.bodyStructure(extensible: true))
                == #"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0 NIL NIL NIL NIL)"# + inner
                + #" "mixed" ("boundary" "b") NIL NIL NIL)"#)
        #expect(
            text(message.section(.init(part: [2], text: .header)))
                == "From: Carol <carol@example.com>\r\nSubject: inner\r\nMessage-ID: <inner@x>\r\n\r\n")
        #expect(text(message.section(.init(part: [2], text: .text))) == "inner body")
        #expect(text(message.section(.init(part: [2, 1]))) == "inner body")
        #expect(text(message.section(.init(part: [2], text: .headerFields(["subject"])))) == "Subject: inner\r\n\r\n")
        #expect(text(message.section(.init(part: [2], text: .mime))) == "Content-Type: message/rfc822\r\n\r\n")
        #expect(message.section(.init(part: [2, 2])) == [])
        #expect(message.section(.init(part: [1], text: .text)) == [])
    }

    @Test("ENVELOPE: quoted names, groups, routes, defaults for sender and reply-to")
    func envelope() {
        let message = MIMEMessage(
            wireMessage(
                """
                Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)
                From: Terry Gray <gray@cac.washington.edu>
                Subject: IMAP4rev1 WG mtg summary and minutes
                To: imap@cac.washington.edu
                cc: minutes@CNRI.Reston.VA.US,
                 John Klensin <KLENSIN@MIT.EDU>
                Bcc: undisclosed-recipients: ;
                Reply-To: "Doe, Jane \\"JD\\"" <@relay.example:jane@example.org>, team: x@y.z, w@v.u; last@example.com
                Message-Id: <B27397-0100000@cac.washington.edu>
                In-Reply-To: <parent@x>

                body
                """))
        let expected =
            #"("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" "#
            + #"(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) "#
            + "(({14}\r\nDoe, Jane \"JD\" \"@relay.example\" \"jane\" \"example.org\")(NIL NIL \"team\" NIL)(NIL NIL \"x\" \"y.z\")(NIL NIL \"w\" \"v.u\")(NIL NIL NIL NIL)(NIL NIL \"last\" \"example.com\")) "
            + #"((NIL NIL "imap" "cac.washington.edu")) "#
            + #"((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) "#
            + #"((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) "#
            + #""<parent@x>" "<B27397-0100000@cac.washington.edu>")"#
        #expect(text(message.envelope) == expected)
    }

    @Test("ENVELOPE of a bare message: NIL everywhere; comments as names; encoded-words kept")
    func envelopeSparse() {
        #expect(text(MIMEMessage([]).envelope) == "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)")
        #expect(
            text(MIMEMessage(wireMessage("To: \"\" <a@b.c>, <d@e.f>\n\n")).envelope)
                == #"(NIL NIL NIL NIL NIL ((NIL NIL "a" "b.c")(NIL NIL "d" "e.f")) NIL NIL NIL NIL)"#)
        let message = MIMEMessage(wireMessage("From: joe@example.com (Joe Q)\nSubject: =?UTF-8?Q?Caf=C3=A9?=\n\n"))
        #expect(
            text(message.envelope)
                == #"(NIL "=?UTF-8?Q?Caf=C3=A9?=" (("Joe Q" NIL "joe" "example.com")) (("Joe Q" NIL "joe" "example.com")) "#
                + #"(("Joe Q" NIL "joe" "example.com")) NIL NIL NIL NIL NIL)"#)
    }

    @Test(
        "ENVELOPE the Dovecot way: last of repeated fields, subjects and names tidied (a literal when changed), missing host filled"
    )
    func envelopeDovecot() {
        let message = MIMEMessage(
            wireMessage(
                "Subject: first\nSubject:  two\n\t lines  \nFrom: \"A\\\"B\"  \"C\" <\"odd local\"@x.y>, bare, <nohost>\nContent-Language: en\n\nx"
            ))
        #expect(
            text(message.envelope)
                == "(NIL {9}\r\ntwo lines "
                + String(
                    repeating:
                        "(({5}\r\nA\"B C NIL \"odd local\" \"x.y\")(NIL NIL \"bare\" \"MISSING_DOMAIN\")(NIL NIL \"nohost\" \"MISSING_DOMAIN\")) ",
                    count: 3) + "NIL NIL NIL NIL NIL)"
        )
        #expect(
            text(message.bodyStructure(extensible: true))
                == #"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL ("en") NIL)"#)
    }

    @Test("the Date: header's own day, for SENT*")
    func sentDate() {
        #expect(
            MIMEMessage(wireMessage("Date: Mon, 7 Dec 2026 23:30:00 -0500\n\n")).sentDate == SearchKey.SearchDate("7-Dec-2026"))
        #expect(MIMEMessage(wireMessage("Date: 1 jan 99 00:00 GMT\n\n")).sentDate == SearchKey.SearchDate("1-Jan-1999"))
        #expect(MIMEMessage(wireMessage("Date: yesterday\n\n")).sentDate == nil)
        #expect(MIMEMessage(wireMessage("Subject: x\n\n")).sentDate == nil)
    }

    @Test("real-world damage degrades to text/plain: bad Content-Type, no boundary, missing closing boundary, bare LF")
    func tolerant() {
        // What Dovecot 2.3.19 answers for the same messages.
        #expect(
            text(MIMEMessage(wireMessage("Content-Type: garbage\n\nabc\n")).bodyStructure(extensible: true))
                == #"("garbage" "" NIL NIL NIL "7bit" 5 NIL NIL NIL NIL)"#)
        #expect(
            text(MIMEMessage(wireMessage("Content-Type: ;\n\nabc\n")).bodyStructure(extensible: true))
                == #"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 1 NIL NIL NIL NIL)"#)
        #expect(
            text(MIMEMessage(wireMessage("Content-Type: multipart/mixed\n\nabc\n")).bodyStructure(extensible: true))
                == #"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" NIL NIL NIL NIL)"#)
        // A boundary that never appears: a multipart without parts, written as Dovecot does.
        let partless = MIMEMessage(wireMessage("Content-Type: multipart/mixed; boundary=zz\n\nabc\n"))
        #expect(
            text(partless.bodyStructure(extensible: true))
                == #"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "zz") NIL NIL NIL)"#
        )
        #expect(partless.section(.init(part: [1])) == [])
        let unterminated = MIMEMessage(
            Array("Content-Type: multipart/mixed; boundary=q\n\n--q\n\none\n--q\nContent-Type: text/html\n\ntwo\n".utf8))
        #expect(
            text(unterminated.bodyStructure(extensible: false))
                == #"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 4 1) "mixed")"#
        )
        #expect(text(unterminated.section(.init(part: [2]))) == "two\n")
        #expect(text(unterminated.section(.init(text: .header))) == "Content-Type: multipart/mixed; boundary=q\n\n")
        // Only a header, no blank line: HEADER still ends with one.
        let headerOnly = MIMEMessage(Array("Subject: x".utf8))
        #expect(text(headerOnly.section(.init(text: .header))) == "Subject: x")
        #expect(headerOnly.section(.init(text: .text)) == [])
        // Parameters, names and types as found (as Dovecot writes them); comments skipped; no default charset added when one is named.
        #expect(
            text(
                MIMEMessage(wireMessage("Content-Type: TEXT/PLAIN (c); CHARSET=\"ISO-8859-1\" ; format=flowed\n\nx"))
                    .bodyStructure(extensible: false))
                == #"("TEXT" "PLAIN" ("CHARSET" "ISO-8859-1" "format" "flowed") NIL NIL "7bit" 1 0)"#)
        // multipart/digest parts default to message/rfc822.
        let digest = MIMEMessage(
            wireMessage("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody\n--d--\n"))
        #expect(
            text(digest.bodyStructure(extensible: false)).hasPrefix(#"(("message" "rfc822" NIL NIL NIL "7bit" 20 (NIL "one" "#))
    }

    @Test("RFC 9051 § 7.5.2 BODY example, rebuilt as a message with the same sizes and line counts")
    func rfcBodyExample() {
        var message = Array(
            "MIME-Version: 1.0\r\nContent-Type: MULTIPART/MIXED; BOUNDARY=\"xyz\"\r\n\r\n--xyz\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\nContent-Transfer-Encoding: 7BIT\r\n\r\n"
                .utf8)
        // 1152 octets in 23 lines, then 4554 octets of base64 in 73 lines.
        for _ in 0..<22 { message += [UInt8](repeating: UInt8(ascii: "t"), count: 48) + Array("\r\n".utf8) }
        message += [UInt8](repeating: UInt8(ascii: "t"), count: 50) + Array("\r\n".utf8)
        message += Array(
            "\r\n--xyz\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\r\nContent-ID: <960723163407.20117h@cac.washington.edu>\r\nContent-Description: Compiler diff\r\nContent-Transfer-Encoding: BASE64\r\n\r\n"
                .utf8)
        for _ in 0..<72 { message += [UInt8](repeating: UInt8(ascii: "A"), count: 60) + Array("\r\n".utf8) }
        message += [UInt8](repeating: UInt8(ascii: "A"), count: 88) + Array("\r\n".utf8)
        message += Array("\r\n--xyz--\r\n".utf8)
        #expect(
            text(MIMEMessage(message).bodyStructure(extensible: false))
                == #"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "#
                + #""<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) "MIXED")"#)
    }

    @Test("which part the line break before a boundary belongs to, as Dovecot 2.3.19 decides")
    func lineBreaksAtPartEnds() {
        let message = MIMEMessage(
            wireMessage(
                """
                Content-Type: multipart/mixed; boundary=o

                --o
                Content-Type: multipart/alternative; boundary=a

                --a

                leaf
                --a--
                --o
                Content-Type: multipart/alternative; boundary=b

                --b

                x
                --b--

                --o
                Content-Type: message/rfc822

                Subject: header only

                --o--
                """))
        // A leaf gives it to the boundary; a nested multipart's closing line keeps its own.
        #expect(text(message.section(.init(part: [1, 1]))) == "leaf")
        #expect(text(message.section(.init(part: [1]))) == "--a\r\n\r\nleaf\r\n--a--\r\n")
        // An epilogue's blank line goes to the outer boundary.
        #expect(text(message.section(.init(part: [2]))) == "--b\r\n\r\nx\r\n--b--\r\n")
        // A header's blank line stays in the header: the message/rfc822 part is 24 octets.
        #expect(text(message.section(.init(part: [3]))) == "Subject: header only\r\n\r\n")
        #expect(text(message.bodyStructure(extensible: false)).contains(#""7bit" 24 (NIL "header only" NIL"#))
    }

    @Test("RFC 9051 § 6.4.5 part numbering example: 4.2.2.1 inside nested message/rfc822 and multiparts")
    func rfcNumbering() {
        let message = MIMEMessage(
            wireMessage(
                """
                Content-Type: multipart/mixed; boundary=a

                --a

                part 1
                --a
                Content-Type: message/rfc822

                Subject: 2

                part 2 text
                --a
                Content-Type: multipart/mixed; boundary=c

                --c
                Content-Type: image/gif

                3.1
                --c
                Content-Type: message/rfc822

                Subject: 4

                --c--
                --a
                Content-Type: multipart/mixed; boundary=d

                --d

                4.1
                --d
                Content-Type: message/rfc822

                Subject: 4.2
                Content-Type: multipart/mixed; boundary=e

                --e

                4.2.1
                --e
                Content-Type: multipart/alternative; boundary=f

                --f

                4.2.2.1
                --f
                Content-Type: text/richtext

                4.2.2.2
                --f--
                --e--
                --d--
                --a--
                """))
        #expect(text(message.section(.init(part: [1]))) == "part 1")
        #expect(text(message.section(.init(part: [2, 1]))) == "part 2 text")
        #expect(text(message.section(.init(part: [3, 1]))) == "3.1")
        #expect(text(message.section(.init(part: [4, 1]))) == "4.1")
        #expect(text(message.section(.init(part: [4, 2, 1]))) == "4.2.1")
        #expect(text(message.section(.init(part: [4, 2, 2, 1]))) == "4.2.2.1")
        #expect(text(message.section(.init(part: [4, 2, 2, 2]))) == "4.2.2.2")
        #expect(text(message.section(.init(part: [4, 2], text: .headerFields(["SUBJECT"])))) == "Subject: 4.2\r\n\r\n")
        #expect(
            text(message.section(.init(part: [4, 2, 2], text: .mime)))
                == "Content-Type: multipart/alternative; boundary=f\r\n\r\n")
    }
}
