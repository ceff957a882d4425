import Foundation
import MailStore
import Testing

@Suite("IMAP folders on Maildir++: APPEND and COPY")
struct IMAPFolderAppendTests {
    @Test("APPEND stores the message in cur/ with its flags and internal date and returns its UID")
    func append() throws {
        try withMailbox { maildir, store in
            try put("old\n", "1.M1P1.host", in: "\(maildir)/new")
            let before = try store.snapshot(of: "INBOX", moveNewToCur: false)
            let message = Array("Subject: hi\n\nbody\n".utf8)
            let result = try store.append(
                message, to: "INBOX", systemFlags: ["\\Seen", "\\Draft"], keywords: ["Work"], internalDate: 1_600_000_000,
                hostname: "mx/1:2")
            #expect(result.uidValidity == before.uidValidity)
            #expect(result.uid == before.uidNext)
            let appended = try #require(try store.snapshot(of: "INBOX", moveNewToCur: false).messages.last)
            #expect(appended.uid == result.uid)
            #expect(appended.internalDate == 1_600_000_000)
            #expect(appended.flags.imapSystemFlags == ["\\Draft", "\\Seen"])
            #expect(appended.keywords == ["Work"])
            #expect(appended.size == message.count + 3)
            #expect(appended.path.hasPrefix("\(maildir)/cur/"))
            #expect(appended.baseName.hasSuffix(".mx\\0571\\0722,S=\(message.count),W=\(message.count + 3)"))
            #expect(try store.contents(of: appended, in: "INBOX") == message)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(maildir)/tmp").isEmpty)
        }
    }

    @Test("COPY links the messages with their flags and keywords; UIDs in source order; the mapping")
    func copy() throws {
        try withMailbox { maildir, store in
            try store.create("Archive")
            _ = try store.append(
                Array("one\n".utf8), to: "Archive", systemFlags: [], keywords: ["Other"], internalDate: nil, hostname: "mx")
            try put("a\n", "1.M1P1.host", in: "\(maildir)/new", mtime: 1_700_000_001)
            try put("b\n", "2.M1P1.host", in: "\(maildir)/new", mtime: 1_700_000_002)
            try put("c\n", "3.M1P1.host", in: "\(maildir)/new", mtime: 1_700_000_003)
            _ = try store.store(.add, systemFlags: ["\\Flagged"], keywords: ["Work"], uids: [3], in: "INBOX")
            let result = try store.copy(uids: [3, 1, 99], from: "INBOX", to: "Archive", hostname: "mx")
            let archive = try store.snapshot(of: "Archive", moveNewToCur: false)
            #expect(result.uidValidity == archive.uidValidity)
            #expect(result.mapping.map(\.0) == [1, 3])
            #expect(result.mapping.map(\.1) == [2, 3])
            #expect(archive.messages.map(\.uid) == [1, 2, 3])
            #expect(archive.messages[2].keywords == ["Work"])
            #expect(archive.messages[2].flags.imapSystemFlags == ["\\Flagged"])
            #expect(archive.messages[2].internalDate == 1_700_000_003)
            #expect(try store.contents(of: archive.messages[1], in: "Archive") == Array("a\n".utf8))
            #expect(archive.keywords == ["Other", "Work"])
            #expect(try store.snapshot(of: "INBOX", moveNewToCur: false).messages.count == 3)
        }
    }

    @Test(
        "appends from 4 threads with 4 stores (one FolderLocks, or one each as four processes) never share or lose a UID",
        arguments: [true, false])
    func concurrentAppends(sharedLocks: Bool) throws {
        try withMailbox { maildir, _ in
            // Separate FolderLocks: as four processes, only the dotlock keeps them apart.
            let shared = FolderLocks()
            let stores = (0..<4).map { _ in MailboxStore(maildir: maildir, locks: sharedLocks ? shared : FolderLocks()) }
            let uids = Locked<[UInt32]>([])
            let failures = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { thread in
                for index in 0..<25 {
                    do {
                        let result = try stores[thread].append(
                            Array("m \(thread) \(index)\n".utf8), to: "INBOX", systemFlags: [], keywords: [],
                            internalDate: nil, hostname: "mx")
                        uids.withLock { $0.append(result.uid) }
                        if index % 3 == 0 { _ = try stores[thread].snapshot(of: "INBOX", moveNewToCur: false) }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
            #expect(failures.withLock { $0 } == [])
            let assigned = uids.withLock { $0 }.sorted()
            #expect(assigned == Array(1...100))
            let snapshot = try stores[0].snapshot(of: "INBOX", moveNewToCur: false)
            #expect(snapshot.messages.map(\.uid) == Array(1...100))
            #expect(!FileManager.default.fileExists(atPath: "\(maildir)/dovecot-uidlist.lock"))
        }
    }

    @Test("a stale dovecot-uidlist.lock (older than two minutes) is taken over")
    func staleDotlock() throws {
        try withMailbox { maildir, store in
            let lock = "\(maildir)/dovecot-uidlist.lock"
            #expect(FileManager.default.createFile(atPath: lock, contents: Data("1:elsewhere".utf8)))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -300)], ofItemAtPath: lock)
            _ = try store.snapshot(of: "INBOX", moveNewToCur: false)
            #expect(!FileManager.default.fileExists(atPath: lock))
        }
    }

    @Test("a fresh dovecot-uidlist.lock of a process of this host that no longer exists is taken over at once")
    func deadOwnerDotlock() throws {
        try withMailbox { maildir, store in
            var buffer = [CChar](repeating: 0, count: 256)
            #expect(gethostname(&buffer, 255) == 0)
            let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let lock = "\(maildir)/dovecot-uidlist.lock"
            // Above Linux's largest pid (2^22), so no process has it.
            #expect(FileManager.default.createFile(atPath: lock, contents: Data("99999999:\(host)".utf8)))
            _ = try store.snapshot(of: "INBOX", moveNewToCur: false)
            #expect(!FileManager.default.fileExists(atPath: lock))
        }
    }
}
