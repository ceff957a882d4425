import Foundation
import MailStore
import Testing

@Suite("Maildir++ folders as Dovecot lays them out")
struct MaildirFoldersTests {
    @Test(
        "IMAP names and directory names, both ways",
        arguments: [
            ("Sent", ".Sent"), ("Archive/2026", ".Archive.2026"), ("Entwürfe", ".Entw&APw-rfe"), ("A&B/x y", ".A&-B.x y"),
        ])
    func mapping(name: String, directory: String) {
        #expect(MaildirFolders.directoryName(for: name) == directory)
        #expect(MaildirFolders.name(ofDirectory: directory) == name)
    }

    @Test(
        "names that cannot be stored are refused, not rewritten",
        arguments: [
            "INBOX", "inbox", "", "a//b", "/a", "a/", "v1.2", "~root", "..", "a/../b", "tab\there",
            String(repeating: "x", count: 300),
        ])
    func refused(name: String) {
        #expect(MaildirFolders.directoryName(for: name) == nil, "\(name)")
    }

    @Test("directories that are not folders of this layout are not listed as folders")
    func notFolders() {
        for directory in ["cur", ".", "..", ".a..b", ".&Jjo!-", ".a.", "tmp"] {
            #expect(MaildirFolders.name(ofDirectory: directory) == nil, "\(directory)")
        }
    }

    @Test("the special-use folders are created once, with cur/new/tmp and maildirfolder, and listed after INBOX")
    func specialUse() throws {
        let maildir = FileManager.default.temporaryDirectory.appendingPathComponent("sims-folders-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: "\(maildir)/cur", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: maildir) }
        let folders = MaildirFolders(maildir: maildir)
        try folders.create("Sent")
        #expect(try folders.createSpecialUseFolders() == ["Drafts", "Junk", "Trash", "Archive"])
        #expect(try folders.createSpecialUseFolders() == [])
        try folders.create("Archive/2026")
        #expect(try folders.list() == ["INBOX", "Archive", "Archive/2026", "Drafts", "Junk", "Sent", "Trash"])
        #expect(FileManager.default.fileExists(atPath: "\(maildir)/.Archive.2026/new"))
        #expect(FileManager.default.fileExists(atPath: "\(maildir)/.Sent/maildirfolder"))
        #expect(throws: MaildirFolders.FolderError.exists) { try folders.create("Sent") }
        #expect(throws: MaildirFolders.FolderError.invalidName) { try folders.create("v1.2") }
        // A stray directory without cur/ is not a folder.
        try FileManager.default.createDirectory(atPath: "\(maildir)/.Stray", withIntermediateDirectories: true)
        #expect(try !folders.list().contains("Stray"))
    }
}
