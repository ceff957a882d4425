import Foundation
import MailCore
import Testing

@testable import MailStore

@Suite("MaildirReader: what POP3 sees")
struct MaildirReaderTests {
    func makeStore() throws -> (MaildirWriter, MaildirReader, String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sims-reader-\(UUID().uuidString)").path
        let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test")
        try writer.createMaildir(for: "alice@example.test")
        return (writer, MaildirReader(mailRoot: root, hostname: "mx.example.test"), root)
    }

    @Test("Delivered messages are listed oldest first with stable uids and CRLF sizes; tmp/ is never read")
    func listing() throws {
        let (writer, reader, root) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writer.deliver(Array("Subject: one\r\n\r\nbody\r\n".utf8), to: ["alice@example.test"], id: QueueID(rawValue: "S.1"),
            now: Date(timeIntervalSince1970: 1000))
        try writer.deliver(Array("Subject: two\n\nbare LF\n".utf8), to: ["alice@example.test"], id: QueueID(rawValue: "S.2"),
            now: Date(timeIntervalSince1970: 2000))
        let maildir = writer.maildirPath(for: "alice@example.test")
        #expect(FileManager.default.createFile(atPath: "\(maildir)/tmp/half-written", contents: Data("x".utf8)))
        let messages = try reader.messages(of: "alice@example.test")
        #expect(messages.count == 2)
        #expect(messages.map(\.octets) == [22, 25], "bare LFs count as CRLF")
        #expect(messages.allSatisfy { !$0.uid.contains(":") && !$0.uid.contains("/") })
    }

    @Test("Marking seen moves the file to cur/ with flag S and keeps the uid; delete removes it")
    func seenAndDelete() throws {
        let (writer, reader, root) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writer.deliver(Array("Subject: x\r\n\r\ny\r\n".utf8), to: ["alice@example.test"], id: QueueID(rawValue: "S.3"))
        let before = try #require(try reader.messages(of: "alice@example.test").first)
        let moved = try reader.markSeen(before, of: "alice@example.test")
        #expect(moved.hasSuffix(":2,S") && moved.contains("/cur/"))
        let after = try #require(try reader.messages(of: "alice@example.test").first)
        #expect(after.uid == before.uid)
        #expect(after.flags == "S")
        #expect(try reader.markSeen(after, of: "alice@example.test") == after.path, "already seen: nothing to do")
        try reader.delete(after)
        #expect(try reader.messages(of: "alice@example.test").isEmpty)
    }
}

@Suite("MaildirReader: sizes as POP3 sends the file")
struct MaildirWireSizeTests {
    @Test(
        "CRLF size: bare LF gains CR, a last line without LF gains CR LF (LF after a lone CR)",
        arguments: [
            ("", 0), ("a\r\n", 3), ("a\n", 3), ("a", 3), ("a\r", 3), ("a\nb", 6), ("\n\n", 4), ("a\r\r\n", 4), (".x\r\n", 4),
        ])
    func sizes(text: String, expected: Int) throws {
        #expect(MaildirFile.wireSize(of: Array(text.utf8)) == expected)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sims-size-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        defer { unlink(path) }
        #expect(try MaildirReader.wireSize(of: path) == expected)
        #expect(try MaildirFile.contents(of: path) == Array(text.utf8))
    }
}
