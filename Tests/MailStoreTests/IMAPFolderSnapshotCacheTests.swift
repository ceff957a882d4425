import Foundation
import MailStore
import Testing

@Suite("IMAP folders: the shared snapshot of an unchanged folder")
struct IMAPFolderSnapshotCacheTests {
    /// Sets a directory's or file's mtime into the past, as time passing would.
    func age(_ path: String) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: path)
    }

    @Test("an unchanged folder is answered from the cache; a delivery or a renamed file is seen at once")
    func cacheFollowsChanges() throws {
        try withMailbox { maildir, store in
            try put("a\n", "1.M1P1.host:2,", in: "\(maildir)/cur")
            _ = try store.snapshot(of: "INBOX", moveNewToCur: false)
            for entry in ["new", "cur", "dovecot-uidlist"] { try age("\(maildir)/\(entry)") }
            let first = try store.snapshot(of: "INBOX", moveNewToCur: false)
            // Removed behind the cache's back without touching the directory's time:
            // still listed, which shows the answer came from the cache.
            let path = "\(maildir)/cur/1.M1P1.host:2,"
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(maildir)/cur")
            try FileManager.default.moveItem(atPath: path, toPath: "\(maildir)/tmp/gone")
            try FileManager.default.setAttributes(
                attributes.filter { $0.key == .modificationDate }, ofItemAtPath: "\(maildir)/cur")
            #expect(try store.snapshot(of: "INBOX", moveNewToCur: false) == first)
            // A delivery changes new/'s time: the folder is read again.
            try FileManager.default.moveItem(atPath: "\(maildir)/tmp/gone", toPath: path)
            try put("b\n", "2.M1P1.host", in: "\(maildir)/new")
            let later = try store.snapshot(of: "INBOX", moveNewToCur: false)
            #expect(later.messages.map(\.uid) == [1, 2])
        }
    }

    @Test("a folder changed less than a second ago is not cached (a change in the same clock tick could hide)")
    func freshStampIsNotCached() throws {
        try withMailbox { maildir, store in
            try put("a\n", "1.M1P1.host:2,", in: "\(maildir)/cur")
            _ = try store.snapshot(of: "INBOX", moveNewToCur: false)
            _ = try store.snapshot(of: "INBOX", moveNewToCur: false)
            try FileManager.default.removeItem(atPath: "\(maildir)/cur/1.M1P1.host:2,")
            // Same second: whatever the directory's time says, the folder is read again.
            #expect(try store.snapshot(of: "INBOX", moveNewToCur: false).messages.isEmpty)
        }
    }
}

@Suite("IMAP folders: \\Recent goes to the first session that sees a message")
struct IMAPRecentClaimTests {
    @Test("the first look sets the mark; later UIDs are claimed once, by whoever sees them first")
    func claims() {
        let locks = FolderLocks()
        #expect(locks.claimRecent("/m", uids: [1, 2, 3]).isEmpty)
        #expect(locks.claimRecent("/m", uids: [3, 4, 5]) == [4, 5])
        #expect(locks.claimRecent("/m", uids: [4, 5]).isEmpty)
        #expect(locks.claimRecent("/other", uids: []).isEmpty)
        #expect(locks.claimRecent("/m", uids: [6]) == [6])
    }

    @Test("a message still in new/ is recent in the snapshot; one moved to cur/ by a read-write snapshot too, once")
    func newDirectory() throws {
        try withMailbox { maildir, store in
            try put("a\n", "1.M1P1.host", in: "\(maildir)/new")
            #expect(try store.snapshot(of: "INBOX", moveNewToCur: false).messages.map(\.recent) == [true])
            #expect(try store.snapshot(of: "INBOX", moveNewToCur: true).messages.map(\.recent) == [true])
            #expect(try store.snapshot(of: "INBOX", moveNewToCur: true).messages.map(\.recent) == [false])
        }
    }
}
