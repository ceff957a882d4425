import Foundation

/// rename(2): inside `MailboxStore` the name `rename` is its RENAME method.
func posixRename(_ from: String, _ to: String) -> Int32 {
    rename(from, to)
}

/// One message file of a folder, as found in `new/` or `cur/`.
struct FolderFile {
    var baseName: String
    /// The file name, info part included.
    var name: String
    /// "new" or "cur".
    var subdirectory: String
    var status: stat
    /// Moved from `new/` into `cur/` by this scan.
    var movedFromNew = false

    var isInCur: Bool { subdirectory == "cur" }
}

/// The message files of one folder directory (INBOX's Maildir or a `.A.B`
/// directory), keyed by base name. `tmp/` is never looked at: files there
/// may be half written.
struct FolderScan {
    let folderPath: String
    var files: [String: FolderFile] = [:]
    /// Base names oldest first (mtime, then name): the order new UIDs are
    /// given in.
    var arrivalOrder: [String] = []

    /// Lists `new/` and `cur/`. Names the uidlist cannot hold (a line break,
    /// bytes that are not UTF-8) are left out; two files with one base name
    /// (`new/X` and `cur/X:2,S`, restored by hand) get the later one renamed
    /// as Dovecot does, so a UID never names two files.
    /// `moveNewToCur`: files in `new/` are renamed into `cur/` with `:2,`.
    init(folderPath: String, moveNewToCur: Bool) {
        self.folderPath = folderPath
        var found: [(baseName: String, seconds: Int, nanoseconds: Int)] = []
        for subdirectory in ["cur", "new"] {
            let directory = "\(folderPath)/\(subdirectory)"
            for (listedName, status) in MaildirFile.regularFiles(in: directory) ?? [] {
                guard Self.isStorable(listedName) else { continue }
                var name = listedName
                var base = MaildirUIDList.baseName(of: name)
                if files[base] != nil {
                    guard let renamed = MaildirReader.renameDuplicate(name, in: directory, taken: Set(files.keys)) else {
                        continue
                    }
                    name = renamed
                    base = MaildirUIDList.baseName(of: name)
                }
                var file = FolderFile(baseName: base, name: name, subdirectory: subdirectory, status: status)
                if moveNewToCur, subdirectory == "new" {
                    let target = name.utf8.contains(UInt8(ascii: ":")) ? name : name + ":2,"
                    if posixRename("\(directory)/\(name)", "\(folderPath)/cur/\(target)") == 0 {
                        file.name = target
                        file.subdirectory = "cur"
                        file.movedFromNew = true
                    } else if errno == ENOENT {
                        continue  // expunged by another session meanwhile
                    }
                }
                files[base] = file
                found.append((base, Int(status.st_mtim.tv_sec), Int(status.st_mtim.tv_nsec)))
            }
        }
        found.sort { ($0.seconds, $0.nanoseconds, $0.baseName) < ($1.seconds, $1.nanoseconds, $1.baseName) }
        arrivalOrder = found.map(\.baseName)
    }

    /// A name the uidlist file can hold and read back unchanged.
    /// Byte by byte: it runs for every file of a folder at every snapshot.
    static func isStorable(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, first != UInt8(ascii: ":") else { return false }
        var previous: (UInt8, UInt8) = (0, 0)
        for byte in bytes {
            if byte == 0x0A || byte == 0x0D { return false }
            // U+FFFD (EF BF BD): a name that was not UTF-8 on disk.
            if previous == (0xEF, 0xBF) && byte == 0xBD { return false }
            previous = (previous.1, byte)
        }
        return true
    }

    func path(of file: FolderFile) -> String {
        "\(folderPath)/\(file.subdirectory)/\(file.name)"
    }

    /// Finds the file of `baseName` now: it may have been renamed (flags
    /// changed by another session) since a scan. nil when it is gone.
    static func currentPath(of baseName: String, lastKnown: String, in folderPath: String) -> String? {
        if MaildirFile.regularFileStatus(lastKnown) != nil { return lastKnown }
        for subdirectory in ["cur", "new"] {
            let directory = "\(folderPath)/\(subdirectory)"
            for (name, _) in MaildirFile.regularFiles(in: directory) ?? []
            where MaildirUIDList.baseName(of: name) == baseName {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }
}

/// RFC822.SIZE of the files: Dovecot's `,W=` in the name when present, else
/// measured once and remembered (every session of the process shares it).
enum FolderSizes {
    static let cache = MaildirSizeCache()

    static func wireSize(of file: FolderFile, path: String) throws -> Int? {
        if let size = sizeField("W", in: file.baseName) { return size }
        if let known = cache.wireSize(of: file.baseName, status: file.status) { return known }
        let bytes: [UInt8]
        do {
            bytes = try MaildirFile.contents(of: path)
        } catch {
            // Expunged or renamed by another session since the listing.
            if MaildirFile.regularFileStatus(path) == nil { return nil }
            throw error
        }
        let size = MaildirFile.imapSize(of: bytes)
        cache.remember(size, of: file.baseName, status: file.status)
        return size
    }

    /// The value of a `,S=` or `,W=` field in a base name.
    static func sizeField(_ key: Character, in baseName: String) -> Int? {
        guard let keyByte = key.asciiValue else { return nil }
        let bytes = Array(baseName.utf8)
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == UInt8(ascii: ","), bytes[index + 1] == keyByte, bytes[index + 2] == UInt8(ascii: "=") {
                var value = 0
                var digits = 0
                var cursor = index + 3
                while cursor < bytes.count, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39, digits < 18 {
                    value = value * 10 + Int(bytes[cursor] - 0x30)
                    digits += 1
                    cursor += 1
                }
                if digits > 0, cursor == bytes.count || bytes[cursor] == UInt8(ascii: ",") { return value }
            }
            index += 1
        }
        return nil
    }
}
