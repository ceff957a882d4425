import Foundation

extension MailboxStore {
    public struct FolderInfo: Sendable, Equatable {
        public var name: String
        /// RFC 6154 attribute (`\Sent` …) of the special-use folders.
        public var specialUse: String?
        public var hasChildren: Bool
        public var subscribed: Bool

        public init(name: String, specialUse: String?, hasChildren: Bool, subscribed: Bool) {
            self.name = name
            self.specialUse = specialUse
            self.hasChildren = hasChildren
            self.subscribed = subscribed
        }
    }

    /// Every folder, INBOX first, the others sorted by name.
    public func folders() throws -> [FolderInfo] {
        BlockingWork.assertMayBlock("MailboxStore.folders")
        let names = try existingNames()
        let subscriptions = readSubscriptions()
        let special = Dictionary(MaildirFolders.specialUse.map { ($0.name, $0.attribute) }, uniquingKeysWith: { a, _ in a })
        return names.map { name in
            FolderInfo(
                name: name, specialUse: special[name], hasChildren: names.contains { $0.hasPrefix(name + "/") },
                subscribed: subscriptions.contains(name))
        }
    }

    /// INBOX and every folder directory, INBOX once.
    func existingNames() throws -> [String] {
        do {
            return ["INBOX"] + (try MaildirFolders(maildir: maildir).list()).filter { !Self.isInbox($0) }
        } catch { throw Self.mapError(error) }
    }

    /// CREATE, with the missing parents (RFC 9051 § 6.3.4).
    public func create(_ name: String) throws {
        BlockingWork.assertMayBlock("MailboxStore.create")
        guard !Self.isInbox(name) else { throw MailboxStoreError.alreadyExists }
        guard MaildirFolders.directoryName(for: name) != nil else { throw MailboxStoreError.invalidName }
        guard (try? existingFolder(name)) == nil else { throw MailboxStoreError.alreadyExists }
        try createWithParents(name)
    }

    private func createWithParents(_ name: String) throws {
        let levels = name.split(separator: "/", omittingEmptySubsequences: false)
        let folders = MaildirFolders(maildir: maildir)
        for count in 1...max(levels.count, 1) {
            let prefix = levels.prefix(count).joined(separator: "/")
            guard (try? existingFolder(prefix)) == nil else { continue }
            do { try folders.create(prefix) } catch MaildirFolders.FolderError.exists {
                continue  // a directory without cur/: leave it, as Dovecot would
            } catch { throw Self.mapError(error) }
        }
    }

    /// DELETE: refused for INBOX and for a folder with subfolders (as Dovecot
    /// does for Maildir++); the directory is first renamed out of the
    /// listing, so a crash midway never leaves half a folder visible.
    public func delete(_ name: String) throws {
        BlockingWork.assertMayBlock("MailboxStore.delete")
        guard !Self.isInbox(name) else { throw MailboxStoreError.cannotDeleteInbox }
        let path = try existingFolder(name)
        guard !(try existingNames()).contains(where: { $0.hasPrefix(name + "/") }) else {
            throw MailboxStoreError.hasChildren
        }
        // "..": an empty first level, which no folder name maps to.
        let trash = "\(maildir)/..sims-deleted.\(UInt64.random(in: 0...UInt64.max))"
        guard posixRename(path, trash) == 0 else {
            throw MailboxStoreError.io("rename \(path): \(String(cString: strerror(errno)))")
        }
        try? FileManager.default.removeItem(atPath: trash)
    }

    /// RENAME: subfolders move with the folder (`.A.x` → `.B.x`), and so do
    /// their subscriptions. Renaming INBOX moves its messages into the new
    /// folder and leaves INBOX empty (RFC 9051 § 6.3.6).
    public func rename(_ name: String, to newName: String) throws {
        BlockingWork.assertMayBlock("MailboxStore.rename")
        guard MaildirFolders.directoryName(for: newName) != nil else {
            throw Self.isInbox(newName) ? MailboxStoreError.alreadyExists : MailboxStoreError.invalidName
        }
        let source = try existingFolder(name)
        let names = try existingNames()
        guard !names.contains(where: { $0 == newName || $0.hasPrefix(newName + "/") }) else {
            throw MailboxStoreError.alreadyExists
        }
        if Self.isInbox(name) { return try renameInbox(source, to: newName) }
        guard !newName.hasPrefix(name + "/") else { throw MailboxStoreError.invalidName }
        let moving = [name] + names.filter { $0.hasPrefix(name + "/") }
        for old in moving {
            let new = newName + old.dropFirst(name.count)
            let from = try directory(of: old)
            let to = try directory(of: new)
            guard posixRename(from, to) == 0 else {
                throw MailboxStoreError.io("rename \(from): \(String(cString: strerror(errno)))")
            }
        }
        try createWithParents(newName)
        try updateSubscriptions { $0.rename(name, to: newName) }
    }

    private func renameInbox(_ inbox: String, to newName: String) throws {
        try createWithParents(newName)
        let target = try existingFolder(newName)
        try locks.withLock(inbox) {
            let keywords = "\(inbox)/dovecot-keywords"
            if let data = FileManager.default.contents(atPath: keywords) {
                try replaceFile(Array(data), at: "\(target)/dovecot-keywords")
            }
            let scan = FolderScan(folderPath: inbox, moveNewToCur: false)
            for file in scan.files.values {
                let to = "\(target)/\(file.subdirectory)/\(file.name)"
                if posixRename(scan.path(of: file), to) != 0, errno != ENOENT {
                    throw MailboxStoreError.io("rename \(file.name): \(String(cString: strerror(errno)))")
                }
            }
            do { try files.syncDirectories(["\(target)/cur", "\(target)/new"]) } catch { throw Self.mapError(error) }
            _ = try synchronize(inbox, baseNames: [])
        }
    }

    /// SUBSCRIBE and UNSUBSCRIBE, in Dovecot's `subscriptions` file (its
    /// format kept: version 2 stays version 2).
    public func subscribe(_ name: String, _ on: Bool) throws {
        BlockingWork.assertMayBlock("MailboxStore.subscribe")
        guard Self.isInbox(name) || MaildirFolders.directoryName(for: name) != nil else {
            throw MailboxStoreError.invalidName
        }
        try updateSubscriptions { _ = $0.set(name, on) }
    }

    func readSubscriptions() -> Subscriptions {
        guard let data = FileManager.default.contents(atPath: "\(maildir)/\(Subscriptions.fileName)") else {
            return Subscriptions()
        }
        return Subscriptions(fileText: String(decoding: data, as: UTF8.self))
    }

    private func updateSubscriptions(_ change: (inout Subscriptions) -> Void) throws {
        let path = "\(maildir)/\(Subscriptions.fileName)"
        try locks.withLock(path, dotlock: "\(path).lock") {
            var subscriptions = readSubscriptions()
            let before = subscriptions
            change(&subscriptions)
            guard subscriptions != before else { return }
            try replaceFile(Array(subscriptions.fileText.utf8), at: path)
        }
    }

    /// The special-use folders missing, created and subscribed; returns those created.
    public func createSpecialUseFolders() throws -> [String] {
        BlockingWork.assertMayBlock("MailboxStore.createSpecialUseFolders")
        let created: [String]
        do { created = try MaildirFolders(maildir: maildir).createSpecialUseFolders() } catch { throw Self.mapError(error) }
        if !created.isEmpty { try updateSubscriptions { for name in created { _ = $0.set(name, true) } } }
        return created
    }

    /// Quota usage over all folders: the files' sizes and their number.
    public func usage() throws -> (bytes: Int64, messages: Int) {
        BlockingWork.assertMayBlock("MailboxStore.usage")
        var bytes: Int64 = 0
        var messages = 0
        for name in try existingNames() {
            guard let path = try? existingFolder(name) else { continue }
            for subdirectory in ["cur", "new"] {
                for (_, status) in MaildirFile.regularFiles(in: "\(path)/\(subdirectory)") ?? [] {
                    bytes += Int64(status.st_size)
                    messages += 1
                }
            }
        }
        return (bytes, messages)
    }
}
