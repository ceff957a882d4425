import Foundation
import MailStore
import Testing

@Suite("IMAP folders on Maildir++: create, delete, rename, subscriptions, usage")
struct IMAPFolderListTests {
    @Test("CREATE makes the folder and its missing parents; INBOX and existing names are refused")
    func create() throws {
        try withMailbox { maildir, store in
            try store.create("Archive/2026/Q1")
            #expect(FileManager.default.fileExists(atPath: "\(maildir)/.Archive/cur"))
            #expect(FileManager.default.fileExists(atPath: "\(maildir)/.Archive.2026.Q1/maildirfolder"))
            #expect(try store.folders().map(\.name) == ["INBOX", "Archive", "Archive/2026", "Archive/2026/Q1"])
            #expect(try store.folders().map(\.hasChildren) == [false, true, true, false])
            #expect(throws: MailboxStoreError.alreadyExists) { try store.create("inbox") }
            #expect(throws: MailboxStoreError.alreadyExists) { try store.create("Archive") }
            #expect(throws: MailboxStoreError.invalidName) { try store.create("a.b") }
        }
    }

    @Test("DELETE removes the tree; refused for INBOX, a folder with children and an unknown one")
    func delete() throws {
        try withMailbox { maildir, store in
            try store.create("A/B")
            _ = try store.append(Array("x\n".utf8), to: "A/B", systemFlags: [], keywords: [], internalDate: nil, hostname: "mx")
            #expect(throws: MailboxStoreError.cannotDeleteInbox) { try store.delete("INBOX") }
            #expect(throws: MailboxStoreError.hasChildren) { try store.delete("A") }
            try store.delete("A/B")
            try store.delete("A")
            #expect(throws: MailboxStoreError.noSuchFolder) { try store.delete("A") }
            #expect(try FileManager.default.contentsOfDirectory(atPath: maildir).sorted() == ["cur", "new", "tmp"])
        }
    }

    @Test("RENAME moves the children and their subscriptions; the UIDs stay")
    func rename() throws {
        try withMailbox { maildir, store in
            try store.create("A/x")
            try store.subscribe("A/x", true)
            let uid = try store.append(
                Array("m\n".utf8), to: "A/x", systemFlags: [], keywords: [], internalDate: nil, hostname: "mx")
            try store.rename("A", to: "B/C")
            #expect(try store.folders().map(\.name) == ["INBOX", "B", "B/C", "B/C/x"])
            #expect(try store.folders().filter(\.subscribed).map(\.name) == ["B/C/x"])
            let moved = try store.snapshot(of: "B/C/x", moveNewToCur: false)
            #expect(moved.uidValidity == uid.uidValidity && moved.messages.map(\.uid) == [uid.uid])
            #expect(throws: MailboxStoreError.noSuchFolder) { try store.rename("A", to: "D") }
            try store.create("E")
            #expect(throws: MailboxStoreError.alreadyExists) { try store.rename("E", to: "B") }
            #expect(FileManager.default.fileExists(atPath: "\(maildir)/.B.C.x/cur"))
        }
    }

    @Test("RENAME INBOX moves its messages into the new folder and leaves INBOX empty")
    func renameInbox() throws {
        try withMailbox { maildir, store in
            try put("a\n", "1.M1P1.host", in: "\(maildir)/new")
            try put("b\n", "2.M1P1.host:2,Sa", in: "\(maildir)/cur")
            try "0 Work\n".write(toFile: "\(maildir)/dovecot-keywords", atomically: true, encoding: .utf8)
            _ = try store.snapshot(of: "INBOX", moveNewToCur: false)
            try store.rename("INBOX", to: "Old")
            #expect(try store.snapshot(of: "INBOX", moveNewToCur: false).messages.isEmpty)
            let old = try store.snapshot(of: "Old", moveNewToCur: false)
            #expect(old.messages.map(\.baseName).sorted() == ["1.M1P1.host", "2.M1P1.host"])
            #expect(old.messages.flatMap(\.keywords) == ["Work"])
        }
    }

    @Test("subscriptions: Dovecot's one-name-per-line file is read and written; version 2 is read and kept")
    func subscriptions() throws {
        try withMailbox { maildir, store in
            try store.create("Entwürfe")
            try store.create("Archive/2026")
            try store.subscribe("inbox", true)
            try store.subscribe("Archive/2026", true)
            try store.subscribe("Entwürfe", true)
            let path = "\(maildir)/subscriptions"
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "INBOX\nArchive.2026\nEntw&APw-rfe\n")
            try store.subscribe("INBOX", false)
            #expect(try store.folders().filter(\.subscribed).map(\.name) == ["Archive/2026", "Entwürfe"])
            try "V\t2\n\nArchive\t2026\nINBOX\n".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try store.folders().filter(\.subscribed).map(\.name) == ["INBOX", "Archive/2026"])
            try store.subscribe("Entwürfe", true)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "V\t2\n\nArchive\t2026\nINBOX\nEntw&APw-rfe\n")
        }
    }

    @Test("special-use folders are created once and subscribed; usage counts every folder")
    func specialUseAndUsage() throws {
        try withMailbox { maildir, store in
            #expect(try store.createSpecialUseFolders() == ["Sent", "Drafts", "Junk", "Trash", "Archive"])
            #expect(try store.createSpecialUseFolders() == [])
            let folders = try store.folders()
            #expect(folders.first { $0.name == "Sent" }?.specialUse == "\\Sent")
            #expect(folders.filter(\.subscribed).count == 5)
            try put("12345\n", "1.M1P1.host", in: "\(maildir)/new")
            _ = try store.append(
                Array("abc\n".utf8), to: "Sent", systemFlags: [], keywords: [], internalDate: nil, hostname: "mx")
            let usage = try store.usage()
            #expect(usage.bytes == 10 && usage.messages == 2)
        }
    }
}
