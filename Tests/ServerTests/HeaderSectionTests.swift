import NIOCore
import Testing

@testable import Server

@Suite("HeaderSection: what is read from and removed from a received header")
struct HeaderSectionTests {
    @Test("The Message-ID is found; a clean header is left as it is (nil, no copy)")
    func clean() {
        let text = ByteBuffer(string: "Subject: hi\r\nMessage-ID: <abc@host.test>\r\n\r\nbody\r\n")
        let header = HeaderSection(of: text, authservID: "mx.example.test")
        #expect(header.messageID == "<abc@host.test>")
        #expect(header.cleaned == nil)
    }

    @Test("Authentication-Results claiming our authserv-id go; others' stay; the body is untouched")
    func forgedRemoved() throws {
        let text = ByteBuffer(
            string: "Authentication-Results: mx.example.test; spf=pass\r\n"
                + "Authentication-Results: other.test; spf=fail\r\nSubject: hi\r\n\r\n"
                + "Authentication-Results: mx.example.test; in the body\r\n")
        let header = HeaderSection(of: text, authservID: "mx.example.test")
        let cleaned = String(decoding: try #require(header.cleaned), as: UTF8.self)
        #expect(
            cleaned == "Authentication-Results: other.test; spf=fail\r\nSubject: hi\r\n\r\n"
                + "Authentication-Results: mx.example.test; in the body\r\n")
        #expect(header.messageID == nil)
    }
}
