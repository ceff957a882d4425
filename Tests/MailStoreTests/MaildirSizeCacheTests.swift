import Foundation
import MailCore
import Testing

@testable import MailStore

@Suite("MaildirReader: listing without reading every file again")
struct MaildirSizeCacheTests {
    static let account = "alice@example.test"

    func deliver(_ text: String, id: String, with writer: MaildirWriter) throws -> String {
        try #require(try writer.deliver(Array(text.utf8), to: [Self.account], id: QueueID(rawValue: id)).first)
    }

    @Test("A second listing takes sizes from the cache; a marked-seen message keeps its entry")
    func secondListingUsesCache() throws {
        try withTemporaryDirectory { root in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test")
            let reader = MaildirReader(mailRoot: root, hostname: "mx.example.test")
            _ = try deliver("Subject: a\n\nbare LF\n", id: "S.A", with: writer)
            _ = try deliver("Subject: b\r\n\r\nCRLF\r\n", id: "S.B", with: writer)
            let first = try reader.messages(of: Self.account)
            #expect(first.map(\.octets) == [23, 20])
            #expect(reader.sizes.count == 2)
            _ = try reader.markSeen(first[0], of: Self.account)
            let second = try reader.messages(of: Self.account)
            #expect(second.map(\.octets) == [23, 20])
            #expect(second.map(\.uid) == first.map(\.uid))
            #expect(reader.sizes.count == 2)
        }
    }

    @Test("A different file under a known name is measured again, not taken from the cache")
    func replacedFileIsMeasured() throws {
        try withTemporaryDirectory { root in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test")
            let reader = MaildirReader(mailRoot: root, hostname: "mx.example.test")
            let path = try deliver("a\r\n", id: "S.C", with: writer)
            #expect(try reader.messages(of: Self.account).map(\.octets) == [3])
            // Same name, new inode and size: a bare-LF file of 4 lines.
            unlink(path)
            #expect(FileManager.default.createFile(atPath: path, contents: Data("a\nb\nc\nd\n".utf8)))
            #expect(try reader.messages(of: Self.account).map(\.octets) == [12])
        }
    }

    @Test("Deleting a message forgets its size; a full cache starts over")
    func deleteAndCapacity() throws {
        try withTemporaryDirectory { root in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test")
            let reader = MaildirReader(mailRoot: root, hostname: "mx.example.test")
            _ = try deliver("x\r\n", id: "S.D", with: writer)
            let message = try #require(try reader.messages(of: Self.account).first)
            try reader.delete(message)
            #expect(reader.sizes.count == 0)

            let cache = MaildirSizeCache(capacity: 2)
            var status = stat()
            status.st_ino = 1
            status.st_size = 5
            for uid in ["u1", "u2", "u3"] { cache.remember(7, of: uid, status: status) }
            #expect(cache.count == 1)
            #expect(cache.wireSize(of: "u3", status: status) == 7)
            #expect(cache.wireSize(of: "u1", status: status) == nil)
            status.st_size = 6
            #expect(cache.wireSize(of: "u3", status: status) == nil, "another size: not the file measured")
        }
    }

    @Test("Only regular files are listed: dot files, directories and symlinks are not messages")
    func onlyRegularFiles() throws {
        try withTemporaryDirectory { root in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx.example.test")
            let reader = MaildirReader(mailRoot: root, hostname: "mx.example.test")
            let path = try deliver("m\r\n", id: "S.E", with: writer)
            let new = (path as NSString).deletingLastPathComponent
            #expect(FileManager.default.createFile(atPath: "\(new)/.hidden", contents: Data("h\r\n".utf8)))
            try FileManager.default.createDirectory(atPath: "\(new)/subdirectory", withIntermediateDirectories: false)
            #expect(symlink(path, "\(new)/link") == 0)
            let messages = try reader.messages(of: Self.account)
            #expect(messages.map(\.path) == [path])
        }
    }

    @Test(
        "Names split at the first \":2,\" into uid and flags",
        arguments: [
            ("123.S.X.host,S=5:2,RS", "123.S.X.host,S=5", "RS"), ("123.S.X.host", "123.S.X.host", ""),
            ("a:b:2,S", "a:b", "S"), ("a:1,x", "a:1,x", ""), ("a:2,", "a", ""), ("ä:2,S", "ä", "S"),
        ])
    func split(name: String, uid: String, flags: String) {
        let parts = MaildirReader.split(name)
        #expect(parts.uid == uid)
        #expect(parts.flags == flags)
    }
}
