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

    public init(mailRoot: String, hostname: String) {
        layout = MaildirWriter(mailRoot: mailRoot, hostname: hostname)
    }

    /// The messages in `new/` and `cur/`, oldest first (by delivery time, then name).
    /// Every file is read once to count its CRLF size (see `MaildirFile.wireSize`).
    public func messages(of account: String) throws -> [MaildirMessage] {
        let base = layout.maildirPath(for: account)
        var found: [(message: MaildirMessage, seconds: Int, nanoseconds: Int)] = []
        for sub in ["new", "cur"] {
            let directory = "\(base)/\(sub)"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            found.reserveCapacity(found.count + names.count)
            for name in names where !name.hasPrefix(".") {
                let path = "\(directory)/\(name)"
                guard let status = MaildirFile.regularFileStatus(path) else { continue }
                let (uid, flags) = Self.split(name)
                let octets: Int
                do { octets = try Self.wireSize(of: path) } catch {
                    // Removed (or marked seen by a former session) since the
                    // directory was listed: not part of this snapshot.
                    if MaildirFile.regularFileStatus(path) == nil { continue }
                    throw error
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
        if unlink(message.path) != 0, errno != ENOENT {
            throw DurableFiles.error(errno, "unlink \(message.path)")
        }
    }

    /// `1700000000.S.ABC.host,S=123:2,RS` → (`1700000000.S.ABC.host,S=123`, `RS`).
    static func split(_ name: String) -> (uid: String, flags: String) {
        guard let range = name.range(of: ":2,") else { return (name, "") }
        return (String(name[..<range.lowerBound]), String(name[range.upperBound...]))
    }

    /// Octets with CRLF line ends, as POP3 sends the file (see `MaildirFile.wireSize`).
    static func wireSize(of path: String) throws -> Int {
        MaildirFile.wireSize(of: try MaildirFile.contents(of: path))
    }
}
