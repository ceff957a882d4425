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
    public func messages(of account: String) throws -> [MaildirMessage] {
        let base = layout.maildirPath(for: account)
        var found: [(message: MaildirMessage, modified: Date)] = []
        for sub in ["new", "cur"] {
            let directory = "\(base)/\(sub)"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for name in names where !name.hasPrefix(".") {
                let path = "\(directory)/\(name)"
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                    (attributes[.type] as? FileAttributeType) == .typeRegular
                else { continue }
                let (uid, flags) = Self.split(name)
                let octets = try Self.wireSize(of: path)
                let modified = attributes[.modificationDate] as? Date ?? .distantPast
                found.append((MaildirMessage(uid: uid, path: path, octets: octets, flags: flags), modified))
            }
        }
        return found.sorted { ($0.modified, $0.message.uid) < ($1.modified, $1.message.uid) }.map(\.message)
    }

    public func read(_ message: MaildirMessage) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: message.path)))
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

    /// Octets with CRLF line ends: the file size plus one for every LF not
    /// preceded by CR (files SIMS writes are already CRLF; others may not be).
    static func wireSize(of path: String) throws -> Int {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        var size = bytes.count
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A && previous != 0x0D { size += 1 }
            previous = byte
        }
        return size
    }
}
