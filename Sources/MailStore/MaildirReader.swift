import Foundation

/// One message of a Maildir as a reader (POP3, later IMAP) sees it.
public struct MaildirMessage: Sendable, Hashable {
    /// The file name up to the `:2,` info: unique, and stable when the file
    /// moves from `new/` to `cur/` or its flags change (RFC 1939 § 7 UIDL).
    public var uid: String
    public var path: String
    /// The size as a client receives it, with CRLF line ends.
    public var octets: Int
    public var flags: String
}

/// Reads, marks and removes messages in an account's Maildir. Files are only
/// ever seen complete: writers create them in `tmp/` and link them into
/// `new/` after syncing (see MaildirWriter), and `tmp/` is never read here.
public struct MaildirReader: Sendable {
    let layout: MaildirWriter
    /// Shared by every copy of this reader, so one login benefits from the sizes
    /// measured by the ones before.
    let sizes: MaildirSizeCache

    public init(mailRoot: String, hostname: String) {
        layout = MaildirWriter(mailRoot: mailRoot, hostname: hostname)
        sizes = MaildirSizeCache()
    }

    /// The messages in `new/` and `cur/`, oldest first (by delivery time, then name).
    /// A message not seen before is read once to count its CRLF size (see
    /// `MaildirFile.wireSize`); later listings take it from `sizes`.
    public func messages(of account: String) throws -> [MaildirMessage] {
        let base = layout.maildirPath(for: account)
        var found: [(message: MaildirMessage, seconds: Int, nanoseconds: Int)] = []
        var scratch: [UInt8] = []
        var uids = Set<String>()
        for sub in ["new", "cur"] {
            let directory = "\(base)/\(sub)"
            guard let files = MaildirFile.regularFiles(in: directory) else { continue }
            found.reserveCapacity(found.count + files.count)
            for (listedName, status) in files {
                var name = listedName
                var (uid, flags) = Self.split(name)
                if uids.contains(uid) {
                    // Two files with one base name (`new/X` and `cur/X:2,S`, copied
                    // in by hand or restored from a backup): the uid would name
                    // two messages. Give the later one a name of its own, as
                    // Dovecot does, so both stay readable and uids stay unique.
                    guard let renamed = Self.renameDuplicate(name, in: directory, taken: uids) else { continue }
                    name = renamed
                    (uid, flags) = Self.split(name)
                }
                uids.insert(uid)
                let path = "\(directory)/\(name)"
                let octets: Int
                if let known = sizes.wireSize(of: uid, status: status) {
                    octets = known
                } else {
                    do {
                        let count = try MaildirFile.load(path, into: &scratch)
                        octets = scratch.withUnsafeBytes {
                            MaildirFile.wireSize(of: UnsafeRawBufferPointer(rebasing: $0[..<count]))
                        }
                    } catch {
                        // Removed (or marked seen by a former session) since the
                        // directory was listed: not part of this snapshot.
                        if MaildirFile.regularFileStatus(path) == nil { continue }
                        throw error
                    }
                    sizes.remember(octets, of: uid, status: status)
                }
                let message = MaildirMessage(uid: uid, path: path, octets: octets, flags: flags)
                found.append((message, Int(status.st_mtim.tv_sec), Int(status.st_mtim.tv_nsec)))
            }
        }
        found.sort { ($0.seconds, $0.nanoseconds, $0.message.uid) < ($1.seconds, $1.nanoseconds, $1.message.uid) }
        return found.map(\.message)
    }

    public func read(_ message: MaildirMessage) throws -> [UInt8] {
        try MaildirFile.contents(of: message.path)
    }

    /// Reads the message into the start of `scratch` (grown as needed and
    /// meant to be reused for the next message) and returns its length.
    public func read(_ message: MaildirMessage, into scratch: inout [UInt8]) throws -> Int {
        try MaildirFile.load(message.path, into: &scratch)
    }

    /// Reads the message into `scratch` only if it is all in the page cache
    /// (see `MaildirFile.loadIfCached`); nil otherwise. Never waits for the
    /// disk, so it may run on an event loop.
    public func readIfCached(_ message: MaildirMessage, into scratch: inout [UInt8]) -> Int? {
        MaildirFile.loadIfCached(message.path, into: &scratch)
    }

    /// Marks a message seen (Maildir flag S): moves it to `cur/` if needed.
    @discardableResult
    public func markSeen(_ message: MaildirMessage, of account: String) throws -> String {
        guard !message.flags.contains("S") else { return message.path }
        let flags = String((message.flags + "S").sorted())
        let target = "\(layout.maildirPath(for: account))/cur/\(message.uid):2,\(flags)"
        if rename(message.path, target) != 0 {
            throw DurableFiles.error(errno, "rename \(message.path)")
        }
        return target
    }

    /// Removes a message for good.
    public func delete(_ message: MaildirMessage) throws {
        sizes.forget(message.uid)
        if unlink(message.path) != 0, errno != ENOENT {
            throw DurableFiles.error(errno, "unlink \(message.path)")
        }
    }

    /// Renames `directory/name` to a new unique base name with the same
    /// info part; nil (the file is skipped this time) when that fails.
    static func renameDuplicate(_ name: String, in directory: String, taken: Set<String>) -> String? {
        let (uid, flags) = split(name)
        let info = name.utf8.count > uid.utf8.count ? ":2,\(flags)" : ""
        for _ in 0..<10 {
            let candidate = "\(uid).dup\(UInt32.random(in: 0...UInt32.max))"
            guard !taken.contains(candidate) else { continue }
            let target = "\(candidate)\(info)"
            if link("\(directory)/\(name)", "\(directory)/\(target)") == 0 {
                unlink("\(directory)/\(name)")
                return target
            }
            if errno != EEXIST { return nil }
        }
        return nil
    }

    /// `1700000000.S.ABC.host,S=123:2,RS` → (`1700000000.S.ABC.host,S=123`, `RS`).
    static func split(_ name: String) -> (uid: String, flags: String) {
        let utf8 = name.utf8
        var index = utf8.startIndex
        while let colon = utf8[index...].firstIndex(of: UInt8(ascii: ":")) {
            let info = utf8[utf8.index(after: colon)...]
            if info.starts(with: "2,".utf8) {
                return (String(name[..<colon]), String(name[utf8.index(colon, offsetBy: 3)...]))
            }
            index = utf8.index(after: colon)
        }
        return (name, "")
    }

    /// Octets with CRLF line ends, as POP3 sends the file (see `MaildirFile.wireSize`).
    static func wireSize(of path: String) throws -> Int {
        MaildirFile.wireSize(of: try MaildirFile.contents(of: path))
    }
}
