import Foundation

/// The folders of one Maildir in the Maildir++ layout Dovecot uses: INBOX
/// is the Maildir itself; every other folder is a directory beside
/// `cur/new/tmp` named `.` + its name, hierarchy levels joined by `.`,
/// non-ASCII in modified UTF-7 (`Archive/2026` is `.Archive.2026`,
/// `Entwürfe` is `.Entw&APw-rfe`). Each folder directory holds an empty
/// `maildirfolder` file, as Dovecot and Courier write it.
///
/// IMAP names use `/` as the hierarchy separator here; a name that cannot be
/// stored (a `.` inside a level, an empty level, a level starting with `~`)
/// is refused rather than mapped to something else. Blocking file work:
/// call it on the storage pool.
public struct MaildirFolders: Sendable {
    public let maildir: String

    public init(maildir: String) {
        self.maildir = maildir
    }

    /// The special-use folders created at the first login (RFC 6154).
    public static let specialUse: [(name: String, attribute: String)] = [
        ("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Junk", "\\Junk"), ("Trash", "\\Trash"), ("Archive", "\\Archive"),
    ]

    /// The directory name (`.Archive.2026`) of an IMAP name (`Archive/2026`);
    /// nil for INBOX (the Maildir itself) and for names that cannot be stored.
    public static func directoryName(for name: String) -> String? {
        let levels = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !levels.isEmpty, name.uppercased() != "INBOX" else { return nil }
        var encoded: [String] = []
        for level in levels {
            guard !level.isEmpty, !level.contains("."), !level.hasPrefix("~"), level != "..",
                level.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
            else { return nil }
            encoded.append(ModifiedUTF7.encode(String(level)))
        }
        let directory = "." + encoded.joined(separator: ".")
        // Longer than a file name may be on ext4 and most file systems.
        return directory.utf8.count <= 255 ? directory : nil
    }

    /// The IMAP name of a folder directory, or nil when the directory is not
    /// a folder this layout could have written.
    public static func name(ofDirectory directory: String) -> String? {
        guard directory.hasPrefix("."), directory.count > 1, directory != ".." else { return nil }
        var levels: [String] = []
        for level in directory.dropFirst().split(separator: ".", omittingEmptySubsequences: false) {
            guard !level.isEmpty, let decoded = ModifiedUTF7.decode(String(level)), !decoded.contains("/") else {
                return nil
            }
            levels.append(decoded)
        }
        return levels.joined(separator: "/")
    }

    /// Every folder, INBOX first, the others sorted by name.
    public func list() throws -> [String] {
        BlockingWork.assertMayBlock("MaildirFolders.list")
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: maildir)) ?? []
        let names = entries.compactMap { entry -> String? in
            guard let name = Self.name(ofDirectory: entry) else { return nil }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: "\(maildir)/\(entry)/cur", isDirectory: &isDirectory),
                isDirectory.boolValue
            else { return nil }
            return name
        }
        return ["INBOX"] + names.sorted()
    }

    public enum FolderError: Error, Equatable, Sendable {
        case invalidName
        case exists
    }

    /// Creates the folder (its `cur`, `new`, `tmp` and `maildirfolder`).
    public func create(_ name: String) throws {
        BlockingWork.assertMayBlock("MaildirFolders.create")
        guard let directory = Self.directoryName(for: name) else { throw FolderError.invalidName }
        let path = "\(maildir)/\(directory)"
        guard !FileManager.default.fileExists(atPath: path) else { throw FolderError.exists }
        for sub in ["tmp", "new", "cur"] {
            try FileManager.default.createDirectory(
                atPath: "\(path)/\(sub)", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        _ = FileManager.default.createFile(
            atPath: "\(path)/maildirfolder", contents: Data(), attributes: [.posixPermissions: 0o600])
    }

    /// Creates whichever special-use folders are missing; returns those created.
    @discardableResult
    public func createSpecialUseFolders() throws -> [String] {
        let existing = Set(try list())
        var created: [String] = []
        for folder in Self.specialUse where !existing.contains(folder.name) {
            try create(folder.name)
            created.append(folder.name)
        }
        return created
    }
}
