import Foundation
import IMAPProtocol
import MailCore
import MailStore

/// The selected folder as this connection holds it. A class: its 10,000
/// messages are changed in place (a struct copied into a local variable
/// and changed there copied the whole dictionary and array each time,
/// which made a STORE or APPEND in a large folder cost milliseconds).
/// Used by the connection's one task only.
final class SelectedFolder {
    var view: SelectedMailbox
    /// The folder's name in the store (`/`-separated, Unicode).
    let storageName: String
    /// The store's facts about each message (path, size, date) by UID.
    var messages: [UInt32: FolderMessage]
    var keywords: [String]
    /// The directories' modification times when last read: unchanged, and
    /// no notification since, means there is nothing new to read.
    var stamp: [Int64]
    /// IMAP4rev1's \Recent: the messages this session saw first (moved from
    /// `new/` by its own reading of the folder). Empty in IMAP4rev2 sessions.
    var recent: Set<UInt32> = []
    var showsRecent = false

    /// Forgets messages this session expunged (EXPUNGE, MOVE) and returns
    /// their EXPUNGE responses, with the new RECENT count when it changed.
    func removeOwn(_ uids: Set<UInt32>) -> String {
        var output = view.removeOwn(uids)
        for uid in uids { messages[uid] = nil }
        let before = recent.count
        recent.formIntersection(view.messages.map(\.uid))
        if showsRecent, recent.count != before { output += "* \(recent.count) RECENT\r\n" }
        return output
    }

    /// A message's flags as this session shows them.
    func flags(of message: FolderMessage) -> [String] {
        let flags = message.flags.imapSystemFlags + message.keywords
        return showsRecent && recent.contains(message.uid) ? flags + ["\\Recent"] : flags
    }

    init(view: SelectedMailbox, storageName: String, messages: [UInt32: FolderMessage], keywords: [String], stamp: [Int64]) {
        self.view = view
        self.storageName = storageName
        self.messages = messages
        self.keywords = keywords
        self.stamp = stamp
    }
}

extension IMAPConnection {
    /// Carries out one mailbox command; returns the mailbox selected afterwards.
    func execute(_ command: MailboxCommand, tag: String, session: IMAPSession) async throws -> String? {
        guard let store else { return nil }
        let rev2 = session.imap4rev2
        switch command {
        case .select(let mailbox, let readOnly):
            // RFC 9051 § 6.3.2 (and RFC 7162 § 3.2.11): the mailbox selected
            // before is closed first, and the client is told so.
            if selected != nil { write("* OK [CLOSED] Previous mailbox closed\r\n") }
            selected = nil
            // RFC 5182 § 2.1: `$` belongs to the mailbox it was saved in.
            savedSearch = nil
            guard let name = storageName(mailbox, rev2: rev2) else { throw MailboxStoreError.noSuchFolder }
            return try await select(name, clientName: mailbox, readOnly: readOnly, tag: tag, rev2: rev2, store: store)
        case .create(let mailbox):
            guard let name = storageName(mailbox, rev2: rev2) else { throw MailboxStoreError.invalidName }
            try await onPool { try store.create(name.hasSuffix("/") ? String(name.dropLast()) : name) }
            logger.info("created folder \(LogField.text(name))")
            write("\(tag) OK CREATE completed\r\n")
        case .delete(let mailbox):
            guard let name = storageName(mailbox, rev2: rev2) else { throw MailboxStoreError.noSuchFolder }
            try await onPool { try store.delete(name) }
            logger.info("deleted folder \(LogField.text(name))")
            if selected?.storageName == name {
                // The client is told its mailbox is gone; further commands on it are BAD.
                write("* OK [CLOSED] Selected mailbox deleted\r\n\(tag) OK DELETE completed\r\n")
                savedSearch = nil
                return nil
            }
            write("\(tag) OK DELETE completed\r\n")
        case .rename(let from, let to):
            guard let old = storageName(from, rev2: rev2) else { throw MailboxStoreError.noSuchFolder }
            guard let new = storageName(to, rev2: rev2) else { throw MailboxStoreError.invalidName }
            try await onPool { try store.rename(old, to: new) }
            logger.info("renamed folder \(LogField.text(old)) to \(LogField.text(new))")
            // RENAME INBOX leaves INBOX in place, empty: it stays selected and
            // its messages' EXPUNGEs come with the next command. Any other
            // selected mailbox is gone under its old name.
            if selected?.storageName == old, old != "INBOX" {
                write("* OK [CLOSED] Selected mailbox renamed\r\n\(tag) OK RENAME completed\r\n")
                savedSearch = nil
                return nil
            }
            if old == "INBOX" { changed = true }
            write("\(tag) OK RENAME completed\r\n")
        case .subscribe(let mailbox, let on):
            guard let name = storageName(mailbox, rev2: rev2) else { throw MailboxStoreError.invalidName }
            try await onPool { try store.subscribe(name, on) }
            write("\(tag) OK \(on ? "SUBSCRIBE" : "UNSUBSCRIBE") completed\r\n")
        case .list(let list):
            try await self.list(list, tag: tag, rev2: rev2, store: store)
        case .namespace:
            write("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n\(tag) OK NAMESPACE completed\r\n")
        case .status(let mailbox, let items):
            guard let name = storageName(mailbox, rev2: rev2) else { throw MailboxStoreError.noSuchFolder }
            let snapshot = try await onPool { try store.snapshot(of: name, moveNewToCur: false) }
            write("* STATUS \(mailboxText(name, rev2: rev2)) (\(Self.statusText(snapshot, items: items)))\r\n")
            write("\(tag) OK STATUS completed\r\n")
        case .append(let mailbox, let message):
            guard let name = storageName(mailbox, rev2: rev2) else { throw MailboxStoreError.noSuchFolder }
            try await append(message, to: name, tag: tag, store: store)
        case .idle:
            write("+ idling\r\n")
            if let update = try await refreshDuringIdle() { write(update) }
            try await flush()
        case .check, .noop:
            if let update = try await refreshSelected(expungesAllowed: true, includeUID: false, force: true) { write(update) }
            write("\(tag) OK \(command == .noop ? "NOOP" : "CHECK") completed\r\n")
        case .close(let expunge):
            if expunge, let folder = selected, !folder.view.readOnly {
                let deleted = folder.messages.values.filter { $0.flags.letters.contains("T") }.map(\.uid)
                if !deleted.isEmpty {
                    let name = folder.storageName
                    _ = try await onPool { try store.expunge(uids: deleted, in: name) }
                    if let account { services.notifier.changed([account], except: channel.channel) }
                }
            }
            write("\(tag) OK \(expunge ? "CLOSE" : "UNSELECT") completed\r\n")
            savedSearch = nil
            return nil
        case .expunge(let uids):
            try await expunge(uids: uids, tag: tag, store: store)
        case .search(let arguments, let uid):
            try await search(arguments, uid: uid, tag: tag, rev2: rev2, store: store)
        case .fetch(let set, let attributes, let uid):
            try await fetch(set, attributes, uid: uid, tag: tag, store: store)
        case .store(let set, let action, let uid):
            try await storeFlags(set, action, uid: uid, tag: tag, store: store)
        case .copy(let set, let mailbox, let uid, let move):
            guard let name = storageName(mailbox, rev2: rev2) else { throw MailboxStoreError.noSuchFolder }
            try await copy(set, to: name, uid: uid, move: move, tag: tag, store: store)
        case .getQuotaRoot(let mailbox):
            write("* QUOTAROOT \(mailboxText(mailbox, rev2: true)) \"\"\r\n")
            try await quota(tag: tag, command: "GETQUOTAROOT", store: store)
        case .getQuota(let root):
            guard root.isEmpty else {
                write("\(tag) NO [NONEXISTENT] No such quota root\r\n")
                return selected?.view.name
            }
            try await quota(tag: tag, command: "GETQUOTA", store: store)
        }
        return selected?.view.name
    }

    // MARK: SELECT, STATUS, LIST

    private func select(
        _ name: String, clientName: String, readOnly: Bool, tag: String, rev2: Bool, store: MailboxStore
    ) async throws -> String? {
        let path = folderPath(name)
        // The stamp after the snapshot: its own moves from new/ to cur/ and
        // its uidlist update are part of what the session has read.
        let (snapshot, stamp) = try await onPool {
            let snapshot = try store.snapshot(of: name, moveNewToCur: !readOnly)
            return (snapshot, Self.stamp(of: path))
        }
        lastDiskCheck = .now
        let folder = SelectedFolder(
            view: SelectedMailbox(
                name: clientName, readOnly: readOnly, uidValidity: snapshot.uidValidity, uidNext: snapshot.uidNext, messages: []),
            storageName: name, messages: Self.byUID(snapshot.messages), keywords: snapshot.keywords, stamp: stamp)
        folder.showsRecent = !rev2
        if !rev2 {
            folder.recent = Set(snapshot.messages.filter(\.recent).map(\.uid))
                .union(services.folderLocks.claimRecent(path, uids: snapshot.messages.map(\.uid)))
        }
        let messages = snapshot.messages.map { SelectedMailbox.Message(uid: $0.uid, flags: folder.flags(of: $0)) }
        folder.view = SelectedMailbox(
            name: clientName, readOnly: readOnly, uidValidity: snapshot.uidValidity, uidNext: snapshot.uidNext, messages: messages
        )
        selected = folder
        changed = false
        let flags = IMAPFlag.system + snapshot.keywords
        write("* FLAGS \(IMAPResponseText.flagList(flags))\r\n")
        let permanent = readOnly ? "()" : IMAPResponseText.flagList(flags + ["\\*"])
        write("* OK [PERMANENTFLAGS \(permanent)] Flags permitted\r\n")
        write("* \(messages.count) EXISTS\r\n")
        if !rev2 {
            write("* \(folder.recent.count) RECENT\r\n")
            if let first = messages.firstIndex(where: { !$0.flags.contains("\\Seen") }) {
                write("* OK [UNSEEN \(first + 1)] First unseen\r\n")
            }
        }
        write("* OK [UIDVALIDITY \(snapshot.uidValidity)] UIDs valid\r\n")
        write("* OK [UIDNEXT \(snapshot.uidNext)] Predicted next UID\r\n")
        // RFC 9051 § 6.3.2: an IMAP4rev2 server names the mailbox in a LIST response.
        if rev2 { write("* LIST () \"/\" \(mailboxText(name, rev2: true))\r\n") }
        write("\(tag) OK [\(readOnly ? "READ-ONLY" : "READ-WRITE")] \(readOnly ? "EXAMINE" : "SELECT") completed\r\n")
        logger.info("selected \(LogField.text(name)) (\(messages.count) messages\(readOnly ? ", read-only" : ""))")
        return clientName
    }

    static func statusText(_ snapshot: FolderSnapshot, items: [StatusItem]) -> String {
        items.map { item -> String in
            switch item {
            case .messages: return "MESSAGES \(snapshot.messages.count)"
            case .uidNext: return "UIDNEXT \(snapshot.uidNext)"
            case .uidValidity: return "UIDVALIDITY \(snapshot.uidValidity)"
            case .unseen: return "UNSEEN \(snapshot.messages.filter { !$0.flags.letters.contains("S") }.count)"
            case .deleted: return "DELETED \(snapshot.messages.filter { $0.flags.letters.contains("T") }.count)"
            case .size: return "SIZE \(snapshot.messages.reduce(0) { $0 + $1.size })"
            case .recent: return "RECENT \(snapshot.messages.filter(\.recent).count)"
            }
        }.joined(separator: " ")
    }

    private func list(_ list: ListCommand, tag: String, rev2: Bool, store: MailboxStore) async throws {
        let command = list.lsub ? "LSUB" : "LIST"
        // LIST "" "": the hierarchy delimiter and root (RFC 9051 § 6.3.9).
        if !list.lsub, list.patterns == [""] {
            write("* LIST (\\Noselect) \"/\" \"\"\r\n\(tag) OK LIST completed\r\n")
            return
        }
        guard list.patterns.count <= MailboxPattern.maximumPatterns else {
            write("\(tag) BAD Too many patterns\r\n")
            return
        }
        let patterns = list.patterns.compactMap { storageName(list.reference + $0, rev2: rev2, pattern: true) }
        let folders = try await onPool {
            try store.folders().filter { folder in patterns.contains { MailboxPattern.matches(folder.name, pattern: $0) } }
        }
        var statusNames: [String] = []
        for folder in folders {
            if list.subscribedOnly && !folder.subscribed { continue }
            if list.specialUseOnly && folder.specialUse == nil { continue }
            var attributes = [folder.hasChildren ? "\\HasChildren" : "\\HasNoChildren"]
            if let special = folder.specialUse { attributes.append(special) }
            if folder.subscribed && list.subscribedOnly && !list.lsub { attributes.append("\\Subscribed") }
            if list.lsub { attributes = [] }
            write("* \(command) (\(attributes.joined(separator: " "))) \"/\" \(mailboxText(folder.name, rev2: rev2))\r\n")
            if !list.statusItems.isEmpty { statusNames.append(folder.name) }
        }
        for name in statusNames {
            let items = list.statusItems
            if let snapshot = try? await onPool({ try store.snapshot(of: name, moveNewToCur: false) }) {
                write("* STATUS \(mailboxText(name, rev2: rev2)) (\(Self.statusText(snapshot, items: items)))\r\n")
            }
        }
        write("\(tag) OK \(command) completed\r\n")
    }

    // MARK: APPEND, EXPUNGE, QUOTA

    private func append(_ message: AppendMessage, to name: String, tag: String, store: MailboxStore) async throws {
        guard try await quotaAllows(message.bytes.count, tag: tag, store: store) else { return }
        let system = message.flags.filter { $0.hasPrefix("\\") }
        let keywords = message.flags.filter { !$0.hasPrefix("\\") }
        let hostname = services.hostname
        let intoSelected = selected?.storageName == name
        let (validity, uid, stored) = try await changingSelected(when: intoSelected) {
            try store.append(
                message.bytes, to: name, systemFlags: system, keywords: keywords, internalDate: message.internalDate,
                hostname: hostname)
        }
        logger.info("appended \(message.bytes.count) bytes to \(LogField.text(name)) as UID \(uid)")
        if let account { services.quota.add(Int64(message.bytes.count), to: [account]) }
        if let account { services.notifier.changed([account], except: channel.channel) }
        if intoSelected, let folder = selected {
            if ownChangeAdopted {
                folder.messages[uid] = stored
                if folder.showsRecent { folder.recent.formUnion(services.folderLocks.claimRecent(folderPath(name), uids: [uid])) }
                write(folder.view.appendOwn(.init(uid: uid, flags: folder.flags(of: stored))))
                if folder.recent.contains(uid) { write("* \(folder.recent.count) RECENT\r\n") }
                selected = folder
            } else if let update = try await refreshSelected(expungesAllowed: true, includeUID: false, force: true) {
                write(update)
            }
        }
        write("\(tag) OK [APPENDUID \(validity) \(uid)] APPEND completed\r\n")
    }

    private func expunge(uids: SequenceSet?, tag: String, store: MailboxStore) async throws {
        guard let folder = selected else { return }
        if folder.view.readOnly {
            write("\(tag) NO [READ-ONLY] Mailbox is read-only\r\n")
            return
        }
        _ = try await refreshSelected(expungesAllowed: false, includeUID: false).map { write($0) }
        var deleted = folder.messages.values.filter { $0.flags.letters.contains("T") }.map(\.uid)
        if let uids {
            let chosen = Set(
                (folder.view.indices(uids, uid: true, saved: savedSearch) ?? []).map { folder.view.messages[$0].uid })
            deleted = deleted.filter { chosen.contains($0) }
        }
        if !deleted.isEmpty {
            let name = folder.storageName
            let chosen = deleted
            let removed = try await changingSelected(when: true) { try store.expunge(uids: chosen, in: name) }
            logger.info("expunged \(removed.count) message(s) from \(LogField.text(folder.storageName))")
            if let account { services.quota.forget(account) }
            if let account { services.notifier.changed([account], except: channel.channel) }
            if ownChangeAdopted, let current = selected {
                write(current.removeOwn(Set(removed)))
            }
        }
        let force = !deleted.isEmpty && !ownChangeAdopted
        if let update = try await refreshSelected(expungesAllowed: true, includeUID: false, force: force) { write(update) }
        write("\(tag) OK EXPUNGE completed\r\n")
    }

    private func quota(tag: String, command: String, store: MailboxStore) async throws {
        if let limit = services.quota.limit, let account {
            let used = try await services.quota.usage(of: account, maildir: store.maildir, storage: services.delivery)
            // RFC 9208 § 5.1: STORAGE in units of 1024 octets.
            write("* QUOTA \"\" (STORAGE \(used / 1024) \(limit / 1024))\r\n")
        }
        write("\(tag) OK \(command) completed\r\n")
    }

    /// Whether the account may store `bytes` more (APPEND, COPY); says NO [OVERQUOTA] when not.
    func quotaAllows(_ bytes: Int, tag: String, store: MailboxStore) async throws -> Bool {
        guard let account, services.quota.limit != nil else { return true }
        if try await services.quota.allows(Int64(bytes), to: account, maildir: store.maildir, storage: services.delivery) {
            return true
        }
        logger.notice("refused to store \(bytes) bytes for \(LogField.word(account)): over quota")
        write("\(tag) NO [OVERQUOTA] Quota exceeded\r\n")
        return false
    }

    // MARK: Keeping the selected folder current

    /// Runs a change this session makes to the selected folder (when
    /// `when`), reading the folder's stamp before and after it on the pool.
    /// When nothing had changed since the session last read the folder, the
    /// change is its own, the later stamp is adopted and `ownChangeAdopted`
    /// is set: the session updates its view itself instead of reading every
    /// file of the folder again at its next command.
    func changingSelected<T: Sendable>(when: Bool, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        ownChangeAdopted = false
        guard when, let folder = selected else { return try await onPool(work) }
        let path = folderPath(folder.storageName)
        let (result, before, after) = try await onPool { () throws -> (T, [Int64], [Int64]) in
            let before = Self.stamp(of: path)
            let result = try work()
            return (result, before, Self.stamp(of: path))
        }
        if let current = selected, current.stamp == before, !changed {
            current.stamp = after
            selected = current
            ownChangeAdopted = true
        }
        return result
    }

    /// Reads the selected folder again when it may have changed (a
    /// notification, its directories' times, or `force`), and returns the
    /// untagged responses that tell the client; nil when nothing is selected.
    func refreshSelected(expungesAllowed: Bool, includeUID: Bool, force: Bool = false) async throws -> String? {
        guard let folder = selected, let store else { return nil }
        let wasChanged = changed
        // Changes made in this process arrive as notifications (`changed`);
        // the directories are looked at for other programs' changes (a
        // Dovecot on the same files), at most once a second, so that a
        // client fetching 10,000 messages one by one does not pay a stat
        // round on the storage pool for each.
        let now = ContinuousClock.now
        let lookAtDisk = force || wasChanged || lastDiskCheck.duration(to: now) >= .seconds(1)
        if lookAtDisk { lastDiskCheck = now }
        let name = folder.storageName
        let path = folderPath(name)
        let previous = folder.stamp
        let readOnly = folder.view.readOnly
        let result =
            try await !lookAtDisk
            ? nil
            : onPool { () throws -> (FolderSnapshot, [Int64])? in
                let stamp = Self.stamp(of: path)
                guard lookAtDisk, force || wasChanged || stamp != previous else { return nil }
                let snapshot = try store.snapshot(of: name, moveNewToCur: !readOnly)
                return (snapshot, Self.stamp(of: path))
            }
        changed = false
        guard let (snapshot, stamp) = result else {
            // Unchanged; expunges held back earlier may be reported now.
            guard expungesAllowed, !folder.view.vanished.isEmpty else { return "" }
            let current = folder.view.messages.filter { !folder.view.vanished.contains($0.uid) }
            let update = folder.view.update(to: current, uidNext: folder.view.uidNext, expungesAllowed: true)
            selected = folder
            return update
        }
        // The folder's UIDs were given anew (its uidlist was rebuilt): the
        // client's UIDs mean other messages now, and it must resynchronize.
        guard snapshot.uidValidity == folder.view.uidValidity else { throw UIDValidityChanged() }
        let recentBefore = folder.recent.count
        if folder.showsRecent {
            let highest = folder.view.messages.last?.uid ?? 0
            folder.recent.formUnion(snapshot.messages.filter(\.recent).map(\.uid))
            folder.recent.formUnion(
                services.folderLocks.claimRecent(path, uids: snapshot.messages.map(\.uid).filter { $0 > highest }))
        }
        let current = snapshot.messages.map { SelectedMailbox.Message(uid: $0.uid, flags: folder.flags(of: $0)) }
        var update = folder.view.update(
            to: current, uidNext: snapshot.uidNext, expungesAllowed: expungesAllowed, includeUID: includeUID)
        if expungesAllowed { folder.recent.formIntersection(folder.view.messages.map(\.uid)) }
        // RFC 3501 § 7.3.2: the new number of recent messages follows EXISTS
        // (and, as Dovecot does, an expunge that changes it).
        if folder.recent.count != recentBefore { update += "* \(folder.recent.count) RECENT\r\n" }
        folder.messages = Self.byUID(snapshot.messages)
        folder.keywords = snapshot.keywords
        folder.stamp = stamp
        selected = folder
        return update
    }

    /// `refreshSelected` for IDLE, where a failure must not end the IDLE
    /// (nor answer anything): a folder deleted meanwhile is reported at the
    /// next command. A changed UIDVALIDITY still ends the session.
    func refreshDuringIdle() async throws -> String? {
        do {
            return try await refreshSelected(expungesAllowed: true, includeUID: false)
        } catch let error as UIDValidityChanged {
            throw error
        } catch {
            logger.info("selected folder not read during IDLE: \(error)")
            return nil
        }
    }

    /// When the folder last changed (see `FolderStamp`).
    static func stamp(of folderPath: String) -> [Int64] {
        FolderStamp.of(folderPath)
    }

    func folderPath(_ name: String) -> String {
        let maildir = services.layout.maildirPath(for: account ?? "")
        guard let directory = MaildirFolders.directoryName(for: name) else { return maildir }
        return "\(maildir)/\(directory)"
    }

    static func byUID(_ messages: [FolderMessage]) -> [UInt32: FolderMessage] {
        Dictionary(messages.map { ($0.uid, $0) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Names

    /// The store's name for a client's mailbox name: UTF-8 for an IMAP4rev2
    /// session, modified UTF-7 (RFC 3501 § 5.1.3) for an IMAP4rev1 one.
    func storageName(_ name: String, rev2: Bool, pattern: Bool = false) -> String? {
        if name.uppercased() == "INBOX" { return "INBOX" }
        if rev2 { return name }
        return ModifiedUTF7.decode(name)
    }

    /// A mailbox name as an astring in a response.
    func mailboxText(_ name: String, rev2: Bool) -> String {
        let encoded = rev2 ? name : ModifiedUTF7.encode(name)
        let atom =
            !encoded.isEmpty
            && encoded.utf8.allSatisfy { byte in
                byte > 0x20 && byte < 0x7F && !"(){%*\"\\".utf8.contains(byte)
            }
        return atom ? encoded : String(decoding: IMAPResponseText.string(encoded), as: UTF8.self)
    }

    /// Runs blocking storage work on the storage pool.
    func onPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await services.delivery.run(work)
    }

    /// The tagged reply for a store error (RFC 5530 response codes).
    static func reply(to error: MailboxStoreError, tag: String, command: MailboxCommand) -> String {
        switch error {
        case .noSuchFolder:
            switch command {
            case .append, .copy: return "\(tag) NO [TRYCREATE] Mailbox doesn't exist\r\n"
            default: return "\(tag) NO [NONEXISTENT] Mailbox doesn't exist\r\n"
            }
        case .invalidName: return "\(tag) NO [CANNOT] Invalid mailbox name\r\n"
        case .alreadyExists: return "\(tag) NO [ALREADYEXISTS] Mailbox already exists\r\n"
        case .hasChildren: return "\(tag) NO [INUSE] Mailbox has children, delete them first\r\n"
        case .cannotDeleteInbox: return "\(tag) NO [CANNOT] INBOX can't be deleted\r\n"
        case .tooManyKeywords: return "\(tag) NO [LIMIT] Too many keywords in this mailbox\r\n"
        case .io: return "\(tag) NO [SERVERBUG] Internal error, see the server log\r\n"
        }
    }
}

/// LIST patterns (RFC 9051 § 6.3.9): `*` matches anything, `%` anything
/// but the hierarchy delimiter. Matched by dynamic programming over one row
/// per pattern character (time: name length × pattern length, no
/// recursion); LIST runs it on the storage pool, with at most
/// `maximumPatterns` patterns of at most `maximumLength` characters.
enum MailboxPattern {
    static let maximumPatterns = 32
    static let maximumLength = 512

    static func matches(_ name: String, pattern: String) -> Bool {
        let p = Array(pattern.unicodeScalars)
        guard p.count <= maximumLength else { return false }
        let inbox = name.uppercased() == "INBOX"
        let n = Array((inbox ? "INBOX" : name).unicodeScalars)
        let pattern = inbox ? p.map { Unicode.Scalar(String($0).uppercased()) ?? $0 } : p
        // row[j]: the name's first i characters match the pattern's first j.
        var row = [Bool](repeating: false, count: pattern.count + 1)
        row[0] = true
        for j in 0..<pattern.count where pattern[j] == "*" || pattern[j] == "%" {
            row[j + 1] = row[j]
        }
        for i in 0..<n.count {
            var next = [Bool](repeating: false, count: pattern.count + 1)
            for j in 0..<pattern.count {
                switch pattern[j] {
                case "*": next[j + 1] = next[j] || row[j + 1]
                case "%": next[j + 1] = next[j] || (row[j + 1] && n[i] != "/")
                default: next[j + 1] = row[j] && pattern[j] == n[i]
                }
            }
            row = next
        }
        return row[pattern.count]
    }
}
