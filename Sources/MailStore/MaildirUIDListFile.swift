import Foundation

/// A folder's `dovecot-uidlist` on disk: read it, replace it so that a
/// crash (kill -9, power loss) leaves the old file or the new one, never a
/// torn one, and rebuild it when it is missing or damaged. Blocking: call on
/// the storage pool. Not yet locked against a concurrent Dovecot (its
/// `dovecot-uidlist.lock` dotlock comes with the IMAP server).
public struct MaildirUIDListFile: Sendable {
    public static let name = "dovecot-uidlist"
    public let folder: String
    let files: DurableFiles

    public init(folder: String, sync: SyncMode = .fsync) {
        self.folder = folder
        self.files = DurableFiles(sync: sync)
    }

    var path: String { "\(folder)/\(Self.name)" }

    /// The list, nil when there is none; throws `Damaged` for a broken file.
    public func read() throws -> MaildirUIDList? {
        try readWithEnding()?.list
    }

    /// The list, and whether the file ends with a line end (a record may
    /// then be appended to it).
    func readWithEnding() throws -> (list: MaildirUIDList, endsWithLineEnd: Bool)? {
        BlockingWork.assertMayBlock("MaildirUIDListFile.read")
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        return (try MaildirUIDList.parse(bytes), bytes.last == 0x0A)
    }

    /// Adds one record at the end of the file and syncs it, as Dovecot adds
    /// new messages, instead of writing 10,000 lines again for one APPEND.
    /// The header's next UID is left as it is: readers take the larger of
    /// it and the last record's UID + 1. A crash in the middle leaves a torn
    /// last line, which readers leave out.
    /// - Parameter dataSync: fdatasync the file; false when the caller makes
    ///   it durable with a syncfs of its own (group mode) right after.
    public func appendRecord(_ record: MaildirUIDList.Record, dataSync: Bool = true) throws {
        BlockingWork.assertMayBlock("MaildirUIDListFile.appendRecord")
        var line = "\(record.uid)"
        for field in record.extensions { line += " \(field)" }
        line += " :\(record.baseName)\n"
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw DurableFiles.error(errno, "open \(path)") }
        defer { close(fd) }
        let bytes = Array(line.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw DurableFiles.error(errno, "append to \(path)") }
        if dataSync { guard fdatasync(fd) == 0 else { throw DurableFiles.error(errno, "fdatasync \(path)") } }
    }

    /// Replaces the file: a new file written and synced, renamed over the
    /// old one, the rename synced.
    public func write(_ list: MaildirUIDList) throws {
        BlockingWork.assertMayBlock("MaildirUIDListFile.write")
        let temporary = "\(path).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        try files.writeNewFile(Array(list.text.utf8), to: temporary)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw DurableFiles.error(code, "rename \(temporary)")
        }
        try files.syncDirectories([folder])
    }

    /// The folder's list brought up to date with `baseNames` (arrival
    /// order) and written back when it changed. A missing or damaged list,
    /// or exhausted UIDs, is rebuilt under a new UIDVALIDITY, larger than
    /// the old one (clients then drop their caches, as RFC 9051 requires).
    public func synchronize(baseNames: [String], now: UInt32, guid: String) throws -> MaildirUIDList {
        var old: MaildirUIDList?
        var damagedValidity: UInt32 = 0
        do {
            old = try read()
        } catch is MaildirUIDList.Damaged {
            // RFC 9051 § 2.3.1.1: the new UIDVALIDITY must be greater than
            // the one clients saw, so take it from the broken header if it
            // is still there.
            let text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
            damagedValidity = MaildirUIDList.validityInHeader(of: text) ?? 0
        }
        if var list = old, let changes = list.synchronize(withFolder: baseNames) {
            if !changes.added.isEmpty || !changes.removed.isEmpty { try write(list) }
            return list
        }
        let previous = max(old?.uidValidity ?? 0, damagedValidity)
        let validity = max(now, previous &+ 1, 1)
        let list = MaildirUIDList.rebuilt(baseNames: baseNames, uidValidity: validity, guid: old?.guid ?? guid)
        try write(list)
        return list
    }
}
