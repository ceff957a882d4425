import IMAPProtocol
import Testing

@Suite("FETCH attributes (RFC 9051 § 6.4.5, BINARY RFC 3516)")
struct FetchAttributeTests {
    func attributes(_ line: String) -> [FetchAttribute]? {
        var framer = IMAPCommandFramer()
        guard case .command(let text)? = framer.feed(Array("t FETCH 1 \(line)\r\n".utf8)).first,
            let command = try? IMAPCommandParser().parse(text), command.arguments.count == 2
        else { return nil }
        return FetchAttribute.parse(command.arguments[1])
    }

    @Test("what a client asks at first sync, through the real parser")
    func firstSync() {
        #expect(
            attributes("(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject Date)])")
                == [
                    .uid, .rfc822Size, .flags,
                    .bodySection(.init(text: .headerFields(["From", "To", "Subject", "Date"])), partial: nil, peek: true),
                ])
        #expect(attributes("FAST") == [.flags, .internalDate, .rfc822Size])
        #expect(attributes("full") == [.flags, .internalDate, .rfc822Size, .envelope, .body])
    }

    @Test("sections with parts, MIME, TEXT, partials, BINARY")
    func sections() {
        #expect(attributes("BODY[]") == [.bodySection(.init(), partial: nil, peek: false)])
        #expect(attributes("BODY[1.2.MIME]") == [.bodySection(.init(part: [1, 2], text: .mime), partial: nil, peek: false)])
        #expect(
            attributes("body.peek[2.text]<0.2048>") == [
                .bodySection(.init(part: [2], text: .text), partial: .init(start: 0, count: 2048), peek: true)
            ])
        #expect(attributes("BODY[3]") == [.bodySection(.init(part: [3]), partial: nil, peek: false)])
        #expect(
            attributes("(BODY[HEADER.FIELDS.NOT (Received)] BINARY.PEEK[1]<10.20> BINARY.SIZE[1])") == [
                .bodySection(.init(text: .headerFieldsNot(["Received"])), partial: nil, peek: false),
                .binary(part: [1], partial: .init(start: 10, count: 20), peek: true), .binarySize(part: [1]),
            ])
    }

    @Test(
        "what is not a fetch attribute makes the command BAD",
        arguments: [
            "()", "BODY[MIME]", "BODY[0]", "BODY[1..2]", "BODY[1.]", "BODY[HEADER.FIELDS ()]", "BODY[HEADER.FIELDS From]",
            "BODY[]<0.0>", "BODY[]<1>", "BODY[]<-1.5>", "BINARY[TEXT]", "BINARY.SIZE[1]<0.1>", "BODYX", "(FLAGS \"UID\")",
            "BODY[HEADER.FIELDS (Fr:om)]", "BODY[]<99999999999.1>",
        ])
    func invalid(line: String) {
        #expect(attributes(line) == nil, "\(line)")
    }
}
