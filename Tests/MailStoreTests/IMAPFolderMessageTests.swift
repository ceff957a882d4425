import Foundation
import MailCore
import MailStore
import Testing

/// A Maildir with INBOX's `cur/new/tmp`, and a store on it.
func withMailbox<T>(_ body: (String, MailboxStore) throws -> T) throws -> T {
    try withTemporaryDirectory { root in
        let maildir = "\(root)/Maildir"
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(atPath: "\(maildir)/\(sub)", withIntermediateDirectories: true)
        }
        return try body(maildir, MailboxStore(maildir: maildir, locks: FolderLocks()))
    }
}

/// Puts a file into a folder's `new/` or `cur/` as a delivery agent would, with a given mtime.
func put(_ text: String, _ name: String, in directory: String, mtime: Int = 1_700_000_000) throws {
    let path = "\(directory)/\(name)"
    #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
    try FileManager.default.setAttributes(
        [.modificationDate: Date(timeIntervalSince1970: TimeInterval(mtime))], ofItemAtPath: path)
}

@Suite("IMAP folders on Maildir++: messages, UIDs and flags")
struct IMAPFolderMessageTests {
    @Test("UIDs are given in arrival order and stay across snapshots and new stores; a delivery gets the next one")
    func uidStability() throws {
        try withMailbox { maildir, store in
            try put("a\n", "2.M1P1.host", in: "\(maildir)/new", mtime: 1_700_000_002)
            try put("b\n", "1.M1P1.host:2,S", in: "\(maildir)/cur", mtime: 1_700_000_001)
            let first = try store.snapshot(of: "INBOX", moveNewToCur: false)
            #expect(first.messages.map(\.baseName) == ["1.M1P1.host", "2.M1P1.host"])
            #expect(first.messages.map(\.uid) == [1, 2])
            #expect(first.uidNext == 3)
            let again = try MailboxStore(maildir: maildir, locks: FolderLocks()).snapshot(of: "inbox", moveNewToCur: false)
            #expect(again == first)
            try put("c\n", "3.M1P1.host", in: "\(maildir)/new", mtime: 1_600_000_000)
            let later = try store.snapshot(of: "INBOX", moveNewToCur: false)
            #expect(later.uidValidity == first.uidValidity)
            #expect(later.messages.map(\.uid) == [1, 2, 3])
            #expect(later.messages.last?.baseName == "3.M1P1.host")
        }
    }

    @Test("a message delivered by SMTP (MaildirWriter) appears at the next snapshot with the next UID")
    func smtpDelivery() throws {
        try withTemporaryDirectory { root in
            let writer = MaildirWriter(mailRoot: root, hostname: "mx")
            try writer.createMaildir(for: "alice@example.test")
            let store = MailboxStore(maildir: writer.maildirPath(for: "alice@example.test"), locks: FolderLocks())
            let before = try store.snapshot(of: "INBOX", moveNewToCur: true)
            #expect(before.messages.isEmpty)
            try writer.deliver(Array("Subject: x\n\nbody\n".utf8), to: ["alice@example.test"], id: QueueID(rawValue: "S.1"))
            let after = try store.snapshot(of: "INBOX", moveNewToCur: false)
            #expect(after.messages.map(\.uid) == [before.uidNext])
            #expect(after.messages.first?.size == 20)
        }
    }

    @Test("size is the CRLF size (or Dovecot's W=), internal date the mtime, flags and keywords from the name")
    func messageFields() throws {
        try withMailbox { maildir, store in
            try "0 $Forwarded\n1 Work\n".write(toFile: "\(maildir)/dovecot-keywords", atomically: true, encoding: .utf8)
            try put("Subject: x\n\nbody\n", "1.M1P1.host:2,SFb", in: "\(maildir)/cur", mtime: 1_650_000_000)
            try put("x", "2.M1P1.host,S=1,W=99:2,", in: "\(maildir)/cur")
            let messages = try store.snapshot(of: "INBOX", moveNewToCur: false).messages
            #expect(messages.map(\.size) == [20, 99])
            #expect(messages[0].internalDate == 1_650_000_000)
            #expect(messages[0].flags.imapSystemFlags == ["\\Flagged", "\\Seen"])
            #expect(messages[0].keywords == ["Work"])
        }
    }

    @Test("moveNewToCur renames new/ files into cur/ with :2, and keeps their UIDs; tmp/ is never listed")
    func moveNewToCur() throws {
        try withMailbox { maildir, store in
            try put("a\n", "1.M1P1.host", in: "\(maildir)/new")
            try put("half", "2.M1P1.host", in: "\(maildir)/tmp")
            let examined = try store.snapshot(of: "INBOX", moveNewToCur: false)
            #expect(examined.messages.count == 1)
            #expect(FileManager.default.fileExists(atPath: "\(maildir)/new/1.M1P1.host"))
            let selected = try store.snapshot(of: "INBOX", moveNewToCur: true)
            #expect(selected.messages.map(\.uid) == examined.messages.map(\.uid))
            #expect(selected.messages[0].path == "\(maildir)/cur/1.M1P1.host:2,")
            #expect(try store.contents(of: selected.messages[0], in: "INBOX") == Array("a\n".utf8))
        }
    }

    @Test("STORE adds, removes and replaces flags and keywords; keywords are registered in dovecot-keywords")
    func store() throws {
        try withMailbox { maildir, store in
            try put("a\n", "1.M1P1.host", in: "\(maildir)/new")
            try put("b\n", "2.M1P1.host:2,PS", in: "\(maildir)/cur")
            var changed = try store.store(
                .add, systemFlags: ["\\Seen", "\\Flagged"], keywords: ["Work"], uids: [1, 2, 9], in: "INBOX")
            #expect(changed.map(\.uid) == [1, 2])
            #expect(changed[0].path == "\(maildir)/cur/1.M1P1.host:2,FSa")
            #expect(changed[1].path == "\(maildir)/cur/2.M1P1.host:2,FPSa")
            #expect(changed[0].keywords == ["Work"])
            #expect(try String(contentsOfFile: "\(maildir)/dovecot-keywords", encoding: .utf8) == "0 Work\n")
            changed = try store.store(.remove, systemFlags: ["\\Seen"], keywords: ["Work", "Unknown"], uids: [1], in: "INBOX")
            #expect(changed[0].path == "\(maildir)/cur/1.M1P1.host:2,F")
            changed = try store.store(.replace, systemFlags: ["\\Answered"], keywords: ["$Junk"], uids: [2], in: "INBOX")
            #expect(changed[0].path == "\(maildir)/cur/2.M1P1.host:2,PRb")
            #expect(changed[0].keywords == ["$Junk"])
            let snapshot = try store.snapshot(of: "INBOX", moveNewToCur: false)
            #expect(snapshot.keywords == ["Work", "$Junk"])
            #expect(snapshot.messages.map(\.uid) == [1, 2])
        }
    }

    @Test("a 27th keyword is refused and nothing is renamed")
    func tooManyKeywords() throws {
        try withMailbox { maildir, store in
            try put("a\n", "1.M1P1.host:2,", in: "\(maildir)/cur")
            let names = (0..<26).map { "k\($0)" }
            _ = try store.store(.add, systemFlags: [], keywords: names, uids: [1], in: "INBOX")
            #expect(throws: MailboxStoreError.tooManyKeywords) {
                try store.store(.add, systemFlags: ["\\Seen"], keywords: ["one-more"], uids: [1], in: "INBOX")
            }
            #expect(try store.snapshot(of: "INBOX", moveNewToCur: false).messages[0].keywords.count == 26)
        }
    }

    @Test("EXPUNGE unlinks the files and drops them from the uidlist; UIDs are never reused")
    func expunge() throws {
        try withMailbox { maildir, store in
            for index in 1...3 { try put("m\n", "\(index).M1P1.host:2,T", in: "\(maildir)/cur", mtime: 1_700_000_000 + index) }
            _ = try store.snapshot(of: "INBOX", moveNewToCur: false)
            #expect(try store.expunge(uids: [1, 3, 7], in: "INBOX") == [1, 3])
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(maildir)/cur") == ["2.M1P1.host:2,T"])
            let uidlist = try String(contentsOfFile: "\(maildir)/dovecot-uidlist", encoding: .utf8)
            #expect(!uidlist.contains("1.M1P1.host") && uidlist.contains("2 :2.M1P1.host"))
            try put("n\n", "4.M1P1.host", in: "\(maildir)/new")
            #expect(try store.snapshot(of: "INBOX", moveNewToCur: false).messages.map(\.uid) == [2, 4])
        }
    }

    @Test("a message renamed by another session is still found by its base name; an expunged one gives nil")
    func contentsAfterRename() throws {
        try withMailbox { maildir, store in
            try put("hello\n", "1.M1P1.host", in: "\(maildir)/new")
            let message = try #require(try store.snapshot(of: "INBOX", moveNewToCur: false).messages.first)
            let other = MailboxStore(maildir: maildir, locks: FolderLocks())
            _ = try other.store(.add, systemFlags: ["\\Seen"], keywords: [], uids: [1], in: "INBOX")
            #expect(try store.contents(of: message, in: "INBOX") == Array("hello\n".utf8))
            _ = try other.expunge(uids: [1], in: "INBOX")
            #expect(try store.contents(of: message, in: "INBOX") == nil)
        }
    }

    @Test("odd names never trap: no :2, (or another info), unknown letters, new/X beside cur/X:2,S")
    func oddNames() throws {
        try withMailbox { maildir, store in
            try put("a\n", "plain", in: "\(maildir)/cur")
            try put("b\n", "odd:1,xyz", in: "\(maildir)/cur")
            try put("c\n", "letters:2,S?!Zz", in: "\(maildir)/cur")
            try put("d\n", "twice", in: "\(maildir)/new")
            try put("e\n", "twice:2,S", in: "\(maildir)/cur")
            let first = try store.snapshot(of: "INBOX", moveNewToCur: false)
            #expect(first.messages.count == 5)
            #expect(Set(first.messages.map(\.baseName)).count == 5)
            let second = try store.snapshot(of: "INBOX", moveNewToCur: true)
            #expect(second.messages.map(\.uid) == first.messages.map(\.uid))
            #expect(second.uidValidity == first.uidValidity)
        }
    }

    @Test("a damaged uidlist is rebuilt under a larger UIDVALIDITY")
    func damagedUIDList() throws {
        try withMailbox { maildir, store in
            try put("a\n", "1.M1P1.host", in: "\(maildir)/new")
            try "3 V4000000000 N5 Gx\nbroken line\n".write(
                toFile: "\(maildir)/dovecot-uidlist", atomically: true, encoding: .utf8)
            let snapshot = try store.snapshot(of: "INBOX", moveNewToCur: false)
            #expect(snapshot.uidValidity == 4_000_000_001)
            #expect(snapshot.messages.map(\.uid) == [1])
        }
    }

    @Test("an unknown folder is refused")
    func noSuchFolder() throws {
        try withMailbox { _, store in
            #expect(throws: MailboxStoreError.noSuchFolder) { try store.snapshot(of: "Nope", moveNewToCur: false) }
            #expect(throws: MailboxStoreError.noSuchFolder) { try store.expunge(uids: [1], in: "a..b") }
        }
    }
}
