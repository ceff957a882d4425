import MailCore
import Testing

@Suite("PathParser: paths that must be accepted")
struct PathParserTests {
    @Test("A plain path yields the mailbox, with the domain lower-cased and the local part kept as sent")
    func plainPath() {
        #expect(parsePath("<Alice@Example.TEST>")
            == .success(.mailbox(Mailbox(localPart: "Alice", domain: .name("example.test")))))
    }

    @Test("ESMTP parameters after the path are returned as the rest, leading spaces removed")
    func restAfterPath() throws {
        let (path, rest) = try PathParser.parse("<a@example.test>   SIZE=10 BODY=8BITMIME", allowNull: false, allowUTF8: false)
        #expect(path.mailbox == Mailbox(localPart: "a", domain: .name("example.test")))
        #expect(rest == "SIZE=10 BODY=8BITMIME")
    }

    @Test("The null path <> is the null reverse-path when allowed")
    func nullPath() {
        #expect(parsePath("<>", allowNull: true) == .success(.null))
    }

    @Test("<Postmaster> without a domain is the local postmaster, in any case", arguments: [
        "<Postmaster>", "<postmaster>", "<POSTMASTER>", "<pOsTmAsTeR>",
    ])
    func postmaster(_ text: String) {
        #expect(parsePath(text) == .success(.localPostmaster))
    }

    @Test("postmaster@domain is an ordinary mailbox, not the domain-less form")
    func postmasterWithDomain() {
        #expect(parsePath("<postmaster@example.test>")
            == .success(.mailbox(Mailbox(localPart: "postmaster", domain: .name("example.test")))))
    }

    @Test("A source route is accepted and ignored: the mailbox is the one after the colon", arguments: [
        "<@a.test,@b.test:user@c.test>",
        "<@a.test:user@c.test>",
        "<@a.test,@b.test,@d.test:user@c.test>",
    ])
    func sourceRoute(_ text: String) {
        #expect(parsePath(text) == .success(.mailbox(Mailbox(localPart: "user", domain: .name("c.test")))))
    }

    @Test("Quoted local parts are decoded, escapes included")
    func quotedLocalParts() {
        #expect(parsedMailbox("<\"john doe\"@example.test>")?.localPart == "john doe")
        #expect(parsedMailbox(#"<"a\"b"@example.test>"#)?.localPart == #"a"b"#)
        #expect(parsedMailbox(#"<"a\\b"@example.test>"#)?.localPart == #"a\b"#)
        #expect(parsedMailbox(#"<"\a\b\c"@example.test>"#)?.localPart == "abc")
        #expect(parsedMailbox("<\"a.b\"@example.test>")?.localPart == "a.b")
        #expect(parsedMailbox("<\"..\"@example.test>")?.localPart == "..")
    }

    @Test("A '>' inside a quoted local part does not end the path")
    func angleBracketInsideQuotes() throws {
        #expect(parsedMailbox("<\"a>b\"@example.test>") == Mailbox(localPart: "a>b", domain: .name("example.test")))
        let (_, rest) = try PathParser.parse("<\"x>y\"@example.test> SIZE=1", allowNull: false, allowUTF8: false)
        #expect(rest == "SIZE=1")
    }

    @Test("Dot-atom local parts with every atext character are accepted")
    func atextLocalPart() {
        let local = "a!#$%&'*+-/=?^_`{|}~.b1"
        #expect(parsedMailbox("<\(local)@example.test>")?.localPart == local)
    }

    @Test("IPv4 address literals")
    func ipv4Literal() {
        #expect(parsedMailbox("<user@[192.0.2.1]>") == Mailbox(localPart: "user", domain: .addressLiteral("192.0.2.1")))
    }

    @Test("IPv6 address literals, the tag in any case", arguments: [
        ("<user@[IPv6:2001:db8::1]>", "IPv6:2001:db8::1"),
        ("<user@[ipv6:::1]>", "ipv6:::1"),
        ("<user@[IPv6:2001:db8:0:0:0:0:2:1]>", "IPv6:2001:db8:0:0:0:0:2:1"),
    ])
    func ipv6Literal(_ text: String, _ literal: String) {
        #expect(parsedMailbox(text) == Mailbox(localPart: "user", domain: .addressLiteral(literal)))
    }

    @Test("General address literals: tag ':' dcontent")
    func generalLiteral() {
        #expect(parsedMailbox("<user@[x-tag:some-content]>")
            == Mailbox(localPart: "user", domain: .addressLiteral("x-tag:some-content")))
    }

    @Test("An address literal is shown with its brackets")
    func literalDescription() {
        #expect(MailDomain.addressLiteral("192.0.2.1").description == "[192.0.2.1]")
        #expect(MailDomain.addressLiteral("192.0.2.1").name == nil)
        #expect(MailDomain.name("example.test").name == "example.test")
    }

    @Test("A local part of exactly 64 octets and a path of exactly 256 octets are accepted")
    func lengthBoundaries() {
        let local = repeated("a", 64)
        let domain = "\(repeated("b", 63)).\(repeated("c", 63)).\(repeated("d", 61))"  // 189 octets
        let text = "<\(local)@\(domain)>"
        #expect(text.utf8.count == 256)
        #expect(parsedMailbox(text) == Mailbox(localPart: local, domain: .name(domain)))
    }

    @Test("With SMTPUTF8 allowed, UTF-8 local parts and domains are accepted")
    func utf8Allowed() {
        #expect(parsedMailbox("<jörg@bücher.test>", allowUTF8: true)
            == Mailbox(localPart: "jörg", domain: .name("bücher.test")))
        #expect(parsedMailbox("<\"jörg doe\"@example.test>", allowUTF8: true)?.localPart == "jörg doe")
    }

    @Test("With SMTPUTF8, combining marks in a local part are kept, so the mailbox is not a different user")
    func combiningMarksKept() {
        // "jose" followed by U+0301 COMBINING ACUTE ACCENT is josé, not jose.
        let composed = "jose\u{301}"
        #expect(parsedMailbox("<\(composed)@example.test>", allowUTF8: true)?.localPart.unicodeScalars.elementsEqual(composed.unicodeScalars) == true)
        #expect(parsedMailbox("<\"\(composed)\"@example.test>", allowUTF8: true)?.localPart.unicodeScalars.elementsEqual(composed.unicodeScalars) == true)
        #expect(parsedMailbox("<\(composed)@example.test>", allowUTF8: true)?.localPart != "jose")
    }

    @Test("Percent-hack and quoted '@' addresses are LOCAL mailboxes: the domain is never the embedded one", arguments: [
        ("<user%remote@local>", "user%remote"),
        ("<\"user@remote\"@local>", "user@remote"),
        ("<remote!user@local>", "remote!user"),
        ("<user%remote.test@local>", "user%remote.test"),
    ])
    func embeddedRoutingIsLocal(_ text: String, _ localPart: String) {
        let mailbox = parsedMailbox(text)
        #expect(mailbox == Mailbox(localPart: localPart, domain: .name("local")))
        #expect(mailbox?.domain != .name("remote"))
    }
}
