import Foundation

/// An account's Maildir as IMAP folders: INBOX is the Maildir root, the
/// other folders are Maildir++ directories (`.A.B`, see `MaildirFolders`),
/// with Dovecot's `dovecot-uidlist`, `dovecot-keywords` and `subscriptions`
/// files, so an operator can switch between SIMS and Dovecot on the same
/// files. Every method blocks: the caller runs them on the storage pool.
public struct MailboxStore: Sendable {
    public let maildir: String
    let sync: SyncMode
    let files: DurableFiles
    let locks: FolderLocks

    public init(maildir: String, sync: SyncMode = .fsync, locks: FolderLocks) {
        self.maildir = maildir
        self.sync = sync
        self.files = DurableFiles(sync: sync)
        self.locks = locks
    }

    // MARK: Folder paths

    static func isInbox(_ name: String) -> Bool { name.uppercased() == "INBOX" }

    /// The directory of a folder name, whether or not it exists.
    func directory(of name: String) throws(MailboxStoreError) -> String {
        if Self.isInbox(name) { return maildir }
        guard let directory = MaildirFolders.directoryName(for: name) else { throw .invalidName }
        return "\(maildir)/\(directory)"
    }

    /// The directory of an existing folder.
    func existingFolder(_ name: String) throws(MailboxStoreError) -> String {
        let path: String
        do { path = try directory(of: name) } catch { throw .noSuchFolder }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: "\(path)/cur", isDirectory: &isDirectory), isDirectory.boolValue
        else { throw .noSuchFolder }
        return path
    }

    // MARK: Reading

    /// Brings the folder's `dovecot-uidlist` up to date with `new/` and
    /// `cur/` (under the folder lock) and returns the messages.
    /// `moveNewToCur`: files in `new/` are renamed into `cur/` with `:2,`,
    /// as Dovecot does for a read-write SELECT; never for EXAMINE or STATUS.
    public func snapshot(of folder: String, moveNewToCur: Bool) throws -> FolderSnapshot {
        BlockingWork.assertMayBlock("MailboxStore.snapshot")
        let path = try existingFolder(folder)
        let before = FolderStamp.of(path)
        if let cached = locks.snapshots.snapshot(of: path, stamp: before, moveNewToCur: moveNewToCur) { return cached }
        let snapshot = try scannedSnapshot(path, moveNewToCur: moveNewToCur)
        // Cached under the stamp read before the scan: a change during the
        // scan makes the stamp differ next time, so nothing is missed.
        if FolderStamp.of(path) == before { locks.snapshots.remember(snapshot, of: path, stamp: before) }
        return snapshot
    }

    private func scannedSnapshot(_ path: String, moveNewToCur: Bool) throws -> FolderSnapshot {
        try locks.withLock(path) {
            let scan = FolderScan(folderPath: path, moveNewToCur: moveNewToCur)
            let list = try synchronize(path, baseNames: scan.arrivalOrder)
            let keywords = readKeywords(path)
            var messages: [FolderMessage] = []
            messages.reserveCapacity(list.records.count)
            for record in list.records {
                guard let file = scan.files[record.baseName],
                    let message = try message(record.uid, file, path: scan.path(of: file), keywords: keywords)
                else { continue }
                messages.append(message)
            }
            return FolderSnapshot(
                uidValidity: list.uidValidity, uidNext: list.nextUID, messages: messages,
                keywords: keywords.names.keys.sorted().compactMap { keywords.names[$0] })
        }
    }

    /// The message's bytes as stored, found by base name if it was renamed
    /// since the snapshot; nil when it was expunged meanwhile.
    public func contents(of message: FolderMessage, in folder: String) throws -> [UInt8]? {
        BlockingWork.assertMayBlock("MailboxStore.contents")
        let path = try existingFolder(folder)
        // Renamed between the lookup and the read by another session: look again.
        for _ in 0..<3 {
            guard let current = FolderScan.currentPath(of: message.baseName, lastKnown: message.path, in: path) else {
                return nil
            }
            do {
                return try MaildirFile.contents(of: current)
            } catch {
                if MaildirFile.regularFileStatus(current) != nil { throw MailboxStoreError.io("\(error)") }
            }
        }
        return nil
    }

    /// The message's bytes if the page cache holds all of them, read
    /// without waiting for the disk (safe on an event loop, as POP3's RETR
    /// does): a client fetching messages one by one is then answered without
    /// a trip to the storage pool. nil: read it with `contents` on the pool.
    public func contentsIfCached(of message: FolderMessage) -> [UInt8]? {
        var bytes: [UInt8] = []
        guard let count = MaildirFile.loadIfCached(message.path, into: &bytes) else { return nil }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// The message's header section only (FETCH of headers at a client's
    /// first sync); nil when it was expunged meanwhile.
    public func header(of message: FolderMessage, in folder: String) throws -> [UInt8]? {
        BlockingWork.assertMayBlock("MailboxStore.header")
        let path = try existingFolder(folder)
        for _ in 0..<3 {
            guard let current = FolderScan.currentPath(of: message.baseName, lastKnown: message.path, in: path) else {
                return nil
            }
            do {
                return try MaildirFile.header(of: current)
            } catch {
                if MaildirFile.regularFileStatus(current) != nil { throw MailboxStoreError.io("\(error)") }
            }
        }
        return nil
    }

    // MARK: Shared pieces (called with the folder lock held)

    func message(_ uid: UInt32, _ file: FolderFile, path: String, keywords: MaildirKeywords) throws
        -> FolderMessage?
    {
        guard let size = try FolderSizes.wireSize(of: file, path: path) else { return nil }
        let flags = MaildirFlags(fileName: file.name)
        var message = FolderMessage(
            uid: uid, baseName: file.baseName, path: path, flags: flags,
            keywords: flags.keywords.sorted().compactMap { keywords.names[$0] }, size: size,
            internalDate: Int64(file.status.st_mtim.tv_sec))
        message.recent = file.movedFromNew || !file.isInCur
        return message
    }

    /// The folder's uidlist brought in line with these base names (new ones
    /// get UIDs in this order) and written back when it changed.
    func synchronize(_ folderPath: String, baseNames: [String]) throws -> MaildirUIDList {
        let file = MaildirUIDListFile(folder: folderPath, sync: sync)
        let now = UInt32(clamping: Int(Date().timeIntervalSince1970))
        do {
            return try file.synchronize(baseNames: baseNames, now: now, guid: Self.newGUID())
        } catch { throw Self.mapError(error) }
    }

    static func newGUID() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    func readKeywords(_ folderPath: String) -> MaildirKeywords {
        guard let data = FileManager.default.contents(atPath: "\(folderPath)/dovecot-keywords") else {
            return MaildirKeywords()
        }
        return MaildirKeywords(fileText: String(decoding: data, as: UTF8.self))
    }

    func writeKeywords(_ keywords: MaildirKeywords, _ folderPath: String) throws {
        try replaceFile(Array(keywords.fileText.utf8), at: "\(folderPath)/dovecot-keywords")
    }

    /// Replaces a small file whole: written and synced beside it, renamed
    /// over it, the rename synced; a crash leaves the old or the new one.
    func replaceFile(_ bytes: [UInt8], at path: String) throws {
        let temporary = "\(path).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        do { try files.writeNewFile(bytes, to: temporary) } catch { throw MailboxStoreError.io(error.description) }
        guard posixRename(temporary, path) == 0 else {
            let failure = MailboxStoreError.io("rename \(temporary): \(String(cString: strerror(errno)))")
            unlink(temporary)
            throw failure
        }
        do {
            try files.syncDirectories([(path as NSString).deletingLastPathComponent])
        } catch { throw MailboxStoreError.io(error.description) }
    }

    /// Keyword indices for these names, registering the new ones in the
    /// folder's `dovecot-keywords` (written back before a file uses them).
    func keywordIndices(_ names: [String], adding: Bool, _ folderPath: String) throws -> Set<Int> {
        var keywords = readKeywords(folderPath)
        let before = keywords
        var indices = Set<Int>()
        for name in names {
            if let index = keywords.index(of: name, adding: adding) {
                indices.insert(index)
            } else if adding {
                throw MailboxStoreError.tooManyKeywords
            }
        }
        if keywords != before { try writeKeywords(keywords, folderPath) }
        return indices
    }

    static func mapError(_ error: any Error) -> MailboxStoreError {
        if let error = error as? MailboxStoreError { return error }
        if let error = error as? DeliveryError { return .io(error.description) }
        return .io("\(error)")
    }
}
