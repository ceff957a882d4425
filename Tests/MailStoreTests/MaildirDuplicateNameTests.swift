import Foundation
import MailCore
import Testing

@testable import MailStore

@Suite("MaildirReader: two files with one base name")
struct MaildirDuplicateNameTests {
    @Test("new/X and cur/X:2,S are two messages with two uids, and the uids stay the same afterwards")
    func bothListedWithUniqueUIDs() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sims-dup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test")
        try writer.createMaildir(for: "alice@example.test")
        let maildir = writer.maildirPath(for: "alice@example.test")
        #expect(FileManager.default.createFile(atPath: "\(maildir)/new/1700000000.X.host", contents: Data("one\r\n".utf8)))
        #expect(FileManager.default.createFile(atPath: "\(maildir)/cur/1700000000.X.host:2,S", contents: Data("two!\r\n".utf8)))
        let reader = MaildirReader(mailRoot: root, hostname: "mx.example.test")
        let first = try reader.messages(of: "alice@example.test")
        #expect(first.count == 2)
        #expect(Set(first.map(\.uid)).count == 2)
        #expect(Set(first.map(\.octets)) == [5, 6])
        let renamed = try #require(first.first { $0.uid != "1700000000.X.host" })
        #expect(renamed.flags == "S" || renamed.flags == "", "the info part is kept")
        let second = try reader.messages(of: "alice@example.test")
        #expect(Set(second.map(\.uid)) == Set(first.map(\.uid)))
    }
}
