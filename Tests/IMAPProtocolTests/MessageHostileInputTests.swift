import IMAPProtocol
import Testing

/// Inputs an attacker (or a broken mailer) can deliver: every one must parse
/// quickly, without trapping, and still answer every FETCH item.
@Suite("MIME parser on hostile input")
struct MessageHostileInputTests {
    /// Runs every FETCH-side operation once, so a trap anywhere shows.
    func exercise(_ message: MIMEMessage) {
        _ = message.envelope
        _ = message.bodyStructure(extensible: true)
        _ = message.bodyStructure(extensible: false)
        _ = message.section(.init())
        _ = message.section(.init(text: .header))
        _ = message.section(.init(text: .headerFields(["From", "Subject"])))
        _ = message.section(.init(part: [1], text: .mime))
        _ = message.section(.init(part: [1, 1, 1]))
        _ = message.binary(part: [1])
        _ = message.binary(part: [2, 1])
        _ = message.sentDate
    }

    @Test("a million-part multipart keeps the first 1999 parts (2000 with the message itself)")
    func millionParts() {
        var body = Array("Content-Type: multipart/mixed; boundary=b\r\n\r\n".utf8)
        body.reserveCapacity(10_000_000)
        let part = Array("--b\r\n\r\nx\r\n".utf8)
        for _ in 0..<1_000_000 { body += part }
        let message = MIMEMessage(body)
        exercise(message)
        #expect(text(message.section(.init(part: [1999]))) == "x")
        #expect(message.section(.init(part: [2000])) == [])
        #expect(message.binary(part: [2000]) == .noSuchPart)
    }

    @Test("10000-deep multipart and message/rfc822 nesting stop at the depth limit")
    func deepNesting() {
        var multipart: [UInt8] = []
        for level in 0..<10_000 {
            multipart += Array("Content-Type: multipart/mixed; boundary=\"b\(level)\"\r\n\r\n--b\(level)\r\n".utf8)
        }
        multipart += Array("deepest\r\n".utf8)
        let nestedMultipart = MIMEMessage(multipart)
        exercise(nestedMultipart)
        // 20 levels of multipart; the part below them is text/plain, its boundaries just text.
        #expect(!nestedMultipart.section(.init(part: Array(repeating: 1, count: 20))).isEmpty)
        let nested = text(nestedMultipart.bodyStructure(extensible: false))
        #expect(nested.components(separatedBy: #""mixed""#).count - 1 == 20)
        #expect(nested.hasPrefix(String(repeating: "(", count: 21) + #""text" "plain""#))

        var messages: [UInt8] = []
        for _ in 0..<10_000 { messages += Array("Content-Type: message/rfc822\r\nSubject: s\r\n\r\n".utf8) }
        messages += Array("bottom\r\n".utf8)
        let nestedMessages = MIMEMessage(messages)
        exercise(nestedMessages)
        let structure = text(nestedMessages.bodyStructure(extensible: true))
        #expect(structure.hasPrefix(#"("message" "rfc822" NIL NIL NIL "7bit" "#))
        #expect(structure.contains(#"("text" "plain" ("charset" "us-ascii")"#))
    }

    @Test("huge headers: a 2 MB field, 100000 fields, deep comments, 100000 addresses")
    func hugeHeaders() {
        let longSubject =
            Array("Subject: ".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 2_000_000) + Array("\r\n\r\nbody".utf8)
        let long = MIMEMessage(longSubject)
        exercise(long)
        #expect(long.headerValues("subject").first?.count == 2_000_000)

        var many: [UInt8] = []
        for index in 0..<100_000 { many += Array("X-\(index): v\r\n".utf8) }
        many += Array("Subject: late\r\n\r\nbody".utf8)
        let manyFields = MIMEMessage(many)
        exercise(manyFields)
        // Fields past the limit are not looked up, but stay in the header's bytes.
        #expect(manyFields.headerValues("subject").isEmpty)
        #expect(text(manyFields.section(.init(text: .text))) == "body")
        #expect(manyFields.headerValues("X-4999").count == 1)

        // Many parts with many fields each: the whole message keeps at most ten headers' worth.
        var fieldHeavy = Array("Content-Type: multipart/mixed; boundary=b\r\n\r\n".utf8)
        let fieldLines = [UInt8](repeating: 0, count: 5000).flatMap { _ in Array("a:\n".utf8) }
        for _ in 0..<100 { fieldHeavy += Array("--b\r\nContent-Type: text/html\r\n".utf8) + fieldLines + Array("\r\nx\r\n".utf8) }
        let heavy = MIMEMessage(fieldHeavy)
        exercise(heavy)
        let structure = text(heavy.bodyStructure(extensible: false))
        #expect(structure.hasPrefix(#"(("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 1 0)"#))
        #expect(structure.contains(#"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0)"#))

        let comments =
            Array("Content-Type: text/plain ".utf8) + [UInt8](repeating: UInt8(ascii: "("), count: 100_000)
            + Array("\r\n\r\nx".utf8)
        exercise(MIMEMessage(comments))

        var addresses = Array("To: ".utf8)
        for index in 0..<100_000 { addresses += Array("u\(index)@e.x, g\(index): <;".utf8) }
        addresses += Array("\r\n\r\n".utf8)
        exercise(MIMEMessage(addresses))
    }

    @Test("missing and unterminated boundaries, empty input, lone CRs, bytes at random")
    func damaged() {
        for input in [
            "", "\r\n", "\n\n\n", "\r\r\r", ":", "Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
            "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a", "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a--",
            "Content-Type: message/rfc822\r\n\r\n", "Content-Type: text/plain (\\", "Content-Type: text/plain; a=\"\\",
            "Content-Disposition: a; b=\"\r\nContent-Language: (\\\r\n\r\n", "From: \"\\\r\nTo: (\\\r\n\r\n",
            "Content-Transfer-Encoding: base64\r\n\r\n====",
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n=", "Content-Transfer-Encoding: quoted-printable\r\n\r\n=4",
            "From: <\r\nTo: @\r\nCc: \"\r\nBcc: (\r\nReply-To: a:b:c;;;,,<>@\r\n\r\n",
        ] {
            exercise(MIMEMessage(Array(input.utf8)))
        }
        // A seeded generator, so a failure reproduces.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let alphabet = Array("-\r\n:;=\"()<>@,.\\[] ab\tContent-Type: multipart/mixed; boundary=x\r\n--x\r\nmessage/rfc822".utf8)
        for _ in 0..<300 {
            var bytes: [UInt8] = []
            for _ in 0..<400 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            exercise(MIMEMessage(bytes))
        }
    }
}
