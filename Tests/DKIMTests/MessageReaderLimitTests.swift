import DKIM
import Testing

@Suite("DKIM message reader: the header section is bounded")
struct MessageReaderLimitTests {
    @Test("the fields are known as soon as the empty line is read, before the body")
    func headerCompleteEarly() {
        var reader = DKIMMessageReader(body: .relaxed)
        reader.update(Array("From: a@example.test\r\nSubject: x\r\n".utf8))
        #expect(!reader.headerComplete)
        reader.update(Array("\r\nbody".utf8))
        #expect(reader.headerComplete)
        #expect(reader.fields.map(\.name) == ["From", "Subject"])
    }

    @Test("a 'header' of megabytes of one-byte lines is not kept and gives no fields; the body after it is still found")
    func oversizedHeader() {
        var reader = DKIMMessageReader(body: .relaxed)
        let line = Array("a:\r\n".utf8)
        for _ in 0..<(DKIMMessageReader.maximumHeaderBytes / line.count + 1000) { reader.update(line) }
        #expect(reader.headerTooLarge)
        #expect(reader.headerSection.isEmpty, "its bytes are dropped, not held as fields")
        #expect(!reader.headerComplete)
        reader.update(Array("\r\nthe body\r\n".utf8))
        #expect(reader.headerComplete)
        let (fields, bodyHash) = reader.finish()
        #expect(fields.isEmpty && bodyHash.count == 32)
        // The body hash is the one of the body alone.
        var plain = DKIMMessageReader(body: .relaxed)
        plain.update(Array("X: y\r\n\r\nthe body\r\n".utf8))
        #expect(plain.finish().bodyHash == bodyHash)
    }
}
