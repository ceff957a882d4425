import Foundation

extension MailboxStore {
    /// STORE: changes the flags of the messages with these UIDs by renaming
    /// their files (`posixRename(2)`, the new `:2,` suffix, always into `cur/`),
    /// registering new keywords in `dovecot-keywords` (26 at most:
    /// `tooManyKeywords`, nothing changed). Returns the messages still
    /// present, as they are now.
    public func store(
        _ operation: FlagOperation, systemFlags: [String], keywords: [String], uids: [UInt32], in folder: String
    ) throws -> [FolderMessage] {
        BlockingWork.assertMayBlock("MailboxStore.store")
        let path = try existingFolder(folder)
        return try locks.withLock(path) {
            let indices = try keywordIndices(keywords, adding: operation != .remove, path)
            var change = MaildirFlags(keywords: indices)
            for flag in systemFlags { change.set(flag, true) }
            let scan = FolderScan(folderPath: path, moveNewToCur: false)
            let list = try synchronize(path, baseNames: scan.arrivalOrder)
            let known = readKeywords(path)
            let wanted = Set(uids)
            var updated: [FolderMessage] = []
            for record in list.records where wanted.contains(record.uid) {
                guard var file = scan.files[record.baseName] else { continue }
                let old = MaildirFlags(fileName: file.name)
                let flags = Self.apply(operation, change, to: old)
                let name = file.baseName + flags.infoSuffix
                if name != file.name || !file.isInCur {
                    guard posixRename(scan.path(of: file), "\(path)/cur/\(name)") == 0 else {
                        if errno == ENOENT { continue }  // expunged meanwhile
                        throw MailboxStoreError.io("rename \(file.name): \(String(cString: strerror(errno)))")
                    }
                    file.name = name
                    file.subdirectory = "cur"
                }
                if let message = try message(record.uid, file, path: "\(path)/cur/\(file.name)", keywords: known) {
                    updated.append(message)
                }
            }
            return updated
        }
    }

    /// The flags after STORE. `P` (passed), which IMAP cannot name, survives
    /// a replace.
    static func apply(_ operation: FlagOperation, _ change: MaildirFlags, to old: MaildirFlags) -> MaildirFlags {
        var flags = old
        switch operation {
        case .add:
            flags.letters.formUnion(change.letters)
            flags.keywords.formUnion(change.keywords)
        case .remove:
            flags.letters.subtract(change.letters)
            flags.keywords.subtract(change.keywords)
        case .replace:
            flags.letters = change.letters.union(old.letters.filter { $0 == "P" })
            flags.keywords = change.keywords
        }
        return flags
    }

    /// EXPUNGE: removes the messages with these UIDs; returns the UIDs
    /// removed (those already gone are not), ascending. The uidlist is
    /// written without them.
    public func expunge(uids: [UInt32], in folder: String) throws -> [UInt32] {
        BlockingWork.assertMayBlock("MailboxStore.expunge")
        let path = try existingFolder(folder)
        return try locks.withLock(path) {
            var scan = FolderScan(folderPath: path, moveNewToCur: false)
            let list = try synchronize(path, baseNames: scan.arrivalOrder)
            let wanted = Set(uids)
            var removed: [UInt32] = []
            for record in list.records where wanted.contains(record.uid) {
                guard let file = scan.files[record.baseName] else { continue }
                if unlink(scan.path(of: file)) != 0, errno != ENOENT {
                    throw MailboxStoreError.io("unlink \(file.name): \(String(cString: strerror(errno)))")
                }
                FolderSizes.cache.forget(file.baseName)
                scan.files[record.baseName] = nil
                removed.append(record.uid)
            }
            if !removed.isEmpty {
                _ = try synchronize(path, baseNames: scan.arrivalOrder.filter { scan.files[$0] != nil })
            }
            return removed
        }
    }
}
