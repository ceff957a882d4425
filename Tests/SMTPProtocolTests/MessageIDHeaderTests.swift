import NIOCore
import Testing

@testable import SMTPProtocol

@Suite("Message-ID for the log")
struct MessageIDHeaderTests {
    func find(_ text: String) -> String? { MessageIDHeader.find(in: ByteBuffer(string: text)) }

    @Test func plainFoldedAndCaseInsensitive() {
        #expect(find("Subject: x\r\nMessage-ID: <a1@example.test>\r\n\r\nbody\r\n") == "<a1@example.test>")
        #expect(find("message-id:<b2@example.test>\r\n\r\n") == "<b2@example.test>")
        #expect(find("Message-Id:\r\n <c3@example.test>\r\nSubject: y\r\n\r\n") == "<c3@example.test>")
    }

    @Test func onlyInTheHeaderSection() {
        #expect(find("Subject: x\r\n\r\nMessage-ID: <in-body@example.test>\r\n") == nil)
        #expect(find("Subject: x\r\n\r\n") == nil)
        #expect(find("Subject: no end of headers") == nil)
    }

    @Test func unprintableOrOverlongIdsAreNotLogged() {
        #expect(find("Message-ID: <a b@example.test>\r\n\r\n") == nil)
        #expect(find("Message-ID: <\(String(repeating: "x", count: 300))@example.test>\r\n\r\n") == nil)
        #expect(find("Message-ID: no angle brackets\r\n\r\n") == nil)
    }
}
