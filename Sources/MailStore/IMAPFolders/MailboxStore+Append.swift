import Foundation
import Synchronization

extension MailboxStore {
    /// Makes the unique part of new file names unique within the process.
    private static let counter = Atomic<UInt64>(0)

    /// A new base name as Dovecot writes them:
    /// `<secs>.M<micro>P<pid>Q<counter>.<host>,S=<size>,W=<wiresize>`.
    static func newBaseName(hostname: String, size: Int, wireSize: Int) -> String {
        var now = timeval()
        gettimeofday(&now, nil)
        let count = counter.add(1, ordering: .relaxed).newValue
        let host = hostname.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
            .replacingOccurrences(of: ",", with: "\\054")
        return "\(now.tv_sec).M\(now.tv_usec)P\(getpid())Q\(count).\(host),S=\(size),W=\(wireSize)"
    }

    /// APPEND: the message is written to `tmp/` and synced, its mtime set to
    /// `internalDate`, then renamed into `cur/` with its flags, and the UID
    /// assigned (the uidlist written and synced) before returning.
    public func append(
        _ message: [UInt8], to folder: String, systemFlags: [String], keywords: [String], internalDate: Int64?,
        hostname: String
    ) throws -> (uidValidity: UInt32, uid: UInt32, message: FolderMessage) {
        BlockingWork.assertMayBlock("MailboxStore.append")
        let path = try existingFolder(folder)
        let baseName = Self.newBaseName(hostname: hostname, size: message.count, wireSize: MaildirFile.imapSize(of: message))
        let temporary = "\(path)/tmp/\(baseName)"
        do { try files.writeNewFile(message, to: temporary) } catch { throw Self.mapError(error) }
        defer { unlink(temporary) }
        if let internalDate {
            var times = [timeval(tv_sec: Int(internalDate), tv_usec: 0), timeval(tv_sec: Int(internalDate), tv_usec: 0)]
            guard utimes(temporary, &times) == 0 else { throw MailboxStoreError.io("utimes \(temporary)") }
        }
        return try locks.withLock(path) {
            var flags = MaildirFlags(keywords: try keywordIndices(keywords, adding: true, path))
            for flag in systemFlags { flags.set(flag, true) }
            let target = "\(path)/cur/\(baseName)\(flags.infoSuffix)"
            guard posixRename(temporary, target) == 0 else {
                throw MailboxStoreError.io("rename \(temporary): \(String(cString: strerror(errno)))")
            }
            // The rename and the new uidlist record made durable together: in
            // group mode one syncfs covers both (two waits per APPEND, not three).
            let (validity, uid) = try assignUID(to: baseName, in: path, dataSync: files.groupCommit == nil)
            do { try files.syncDirectories(["\(path)/cur"]) } catch { throw Self.mapError(error) }
            var status = stat()
            let date = stat(target, &status) == 0 ? Int64(status.st_mtim.tv_sec) : Int64(Date().timeIntervalSince1970)
            let keywordNames = readKeywords(path)
            let message = FolderMessage(
                uid: uid, baseName: baseName, path: target, flags: flags,
                keywords: flags.keywords.sorted().compactMap { keywordNames.names[$0] },
                size: MaildirFile.imapSize(of: message), internalDate: date)
            return (validity, uid, message)
        }
    }

    /// The next UID for one file just placed in the folder: the uidlist is
    /// read and written back with one more record, without listing the
    /// folder (an APPEND to a folder of 10,000 messages must not stat them
    /// all). Files delivered meanwhile get their UIDs at the next snapshot.
    /// A missing or damaged list falls back to the full synchronization.
    func assignUID(to baseName: String, in path: String, dataSync: Bool = true) throws -> (uidValidity: UInt32, uid: UInt32) {
        let file = MaildirUIDListFile(folder: path, sync: sync)
        if case .some(.some(var read)) = try? file.readWithEnding(), let uid = read.list.add(baseName: baseName) {
            do {
                if read.endsWithLineEnd {
                    try file.appendRecord(MaildirUIDList.Record(uid: uid, baseName: baseName), dataSync: dataSync)
                } else {
                    try file.write(read.list)
                }
            } catch { throw Self.mapError(error) }
            return (read.list.uidValidity, uid)
        }
        let scan = FolderScan(folderPath: path, moveNewToCur: false)
        let list = try synchronize(path, baseNames: scan.arrivalOrder)
        guard let uid = list.records.last(where: { $0.baseName == baseName })?.uid else {
            throw MailboxStoreError.io("appended message missing from the uidlist")
        }
        return (list.uidValidity, uid)
    }

    /// COPY: each message is hard-linked (copied across file systems) into
    /// the destination's `cur/` with its flags (keywords by name) under a new
    /// base name; UIDs are assigned in source UID order. Returns the
    /// destination's UIDVALIDITY and (source UID, destination UID) pairs.
    public func copy(uids: [UInt32], from source: String, to destination: String, hostname: String) throws -> (
        uidValidity: UInt32, mapping: [(UInt32, UInt32)]
    ) {
        BlockingWork.assertMayBlock("MailboxStore.copy")
        let wanted = Set(uids)
        let messages = try snapshot(of: source, moveNewToCur: false).messages.filter { wanted.contains($0.uid) }
        let path = try existingFolder(destination)
        let sourcePath = try existingFolder(source)
        return try locks.withLock(path) {
            let allKeywords = Array(Set(messages.flatMap(\.keywords))).sorted()
            _ = try keywordIndices(allKeywords, adding: true, path)
            let keywords = readKeywords(path)
            let scan = FolderScan(folderPath: path, moveNewToCur: false)
            var created: [(uid: UInt32, baseName: String)] = []
            var linked: [String] = []
            do {
                for message in messages {
                    var target = MaildirFlags(letters: message.flags.letters)
                    for name in message.keywords {
                        if let index = keywords.names.first(where: { $0.value == name })?.key { target.keywords.insert(index) }
                    }
                    guard
                        let baseName = try linkMessage(
                            message, from: sourcePath, into: path, info: target.infoSuffix, hostname: hostname)
                    else { continue }  // expunged meanwhile
                    let targetPath = "\(path)/cur/\(baseName)\(target.infoSuffix)"
                    linked.append(targetPath)
                    created.append((message.uid, baseName))
                }
                try files.syncDirectories(["\(path)/cur"])
            } catch {
                for file in linked { unlink(file) }
                throw Self.mapError(error)
            }
            let list = try synchronize(path, baseNames: scan.arrivalOrder + created.map(\.baseName))
            var uidOf: [String: UInt32] = [:]
            for record in list.records { uidOf[record.baseName] = record.uid }
            return (list.uidValidity, created.compactMap { item in uidOf[item.baseName].map { (item.uid, $0) } })
        }
    }

    /// Links the message's file into `folderPath/cur` under a new base name,
    /// which it returns; nil when the message was expunged. The file is looked
    /// up again when another session renamed it (new flags) meanwhile.
    private func linkMessage(
        _ message: FolderMessage, from sourcePath: String, into folderPath: String, info: String, hostname: String
    )
        throws -> String?
    {
        for _ in 0..<3 {
            guard let current = FolderScan.currentPath(of: message.baseName, lastKnown: message.path, in: sourcePath) else {
                return nil
            }
            var status = stat()
            let fileSize = stat(current, &status) == 0 ? Int(status.st_size) : message.size
            let baseName = Self.newBaseName(hostname: hostname, size: fileSize, wireSize: message.size)
            let target = "\(folderPath)/cur/\(baseName)\(info)"
            if link(current, target) == 0 { return baseName }
            if errno == ENOENT { continue }
            guard errno == EXDEV else { throw MailboxStoreError.io("link \(target): \(String(cString: strerror(errno)))") }
            try copyFile(current, to: target, tmp: "\(folderPath)/tmp/\(baseName)", mtime: message.internalDate)
            return baseName
        }
        return nil
    }

    /// Across file systems: a synced copy in `tmp/` renamed into place, with
    /// the original's mtime (the INTERNALDATE).
    private func copyFile(_ source: String, to target: String, tmp: String, mtime: Int64) throws {
        try files.writeNewFile(try MaildirFile.contents(of: source), to: tmp)
        defer { unlink(tmp) }
        var times = [timeval(tv_sec: Int(mtime), tv_usec: 0), timeval(tv_sec: Int(mtime), tv_usec: 0)]
        _ = utimes(tmp, &times)
        guard posixRename(tmp, target) == 0 else {
            throw MailboxStoreError.io("rename \(tmp): \(String(cString: strerror(errno)))")
        }
    }
}
