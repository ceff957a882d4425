import Foundation
import MailCore

/// Why a delivery failed; the SMTP side maps these to 452 and 451.
public enum DeliveryError: Error, Equatable, CustomStringConvertible {
    /// ENOSPC or EDQUOT: try again later, nothing was stored.
    case insufficientStorage(String)
    case ioError(String)

    public var description: String {
        switch self {
        case .insufficientStorage(let detail): return "insufficient storage: \(detail)"
        case .ioError(let detail): return "I/O error: \(detail)"
        }
    }
}

/// How deliveries are made durable.
public enum SyncMode: String, Sendable, CaseIterable {
    /// fsync each file and each `new/` directory.
    case fsync
    /// Share one syncfs among concurrent deliveries (group commit).
    case group
}

/// Writes messages into Maildirs (`tmp/` → `new/`), durably.
///
/// The file is written once into the first mailbox's `tmp/` and made
/// durable, then hard-linked into every recipient's `new/`, and the links are
/// made durable. Only then does `deliver` return, and only then may the SMTP
/// server say 250. A crash before that leaves at most a file in `tmp/`, which
/// no reader looks at; a failure removes every link already made.
public struct MaildirWriter: Sendable {
    public let mailRoot: String
    public let hostname: String
    let files: DurableFiles

    public init(mailRoot: String, hostname: String, sync: SyncMode = .fsync) {
        files = DurableFiles(sync: sync)
        self.mailRoot = mailRoot
        self.hostname = hostname.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
    }

    /// `mail/DOMAIN/USER/Maildir` for an account `user@domain`.
    ///
    /// The mapping is injective, so two accounts can never share a Maildir:
    /// a name that is a safe path component (letters, digits, `.`, `-`, `_`,
    /// not starting with a dot; every name `AccountLocalPart` and domain
    /// syntax allow) is used as it is; anything else (a `/`, `..`, an empty
    /// part, from a database written by an older version) becomes `%` and
    /// the hex of its UTF-8 bytes, which no safe name can look like (and an
    /// account without `@` gets the domain `%%`, which no encoding yields).
    public func maildirPath(for account: String) -> String {
        guard let at = account.lastIndex(of: "@") else {
            // No domain at all: "%%", which no encoded name can be.
            return "\(mailRoot)/%%/\(Self.pathComponent(Substring(account)))/Maildir"
        }
        let user = account[..<at]
        let domain = account[account.index(after: at)...]
        return "\(mailRoot)/\(Self.pathComponent(domain))/\(Self.pathComponent(user))/Maildir"
    }

    static func pathComponent(_ name: Substring) -> String {
        let safe =
            name.first != "."
            && !name.isEmpty
            && name.unicodeScalars.allSatisfy { scalar in
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || scalar == "." || scalar == "-" || scalar == "_"
            }
        if safe { return String(name) }
        return "%" + name.utf8.map { String(format: "%02x", $0) }.joined()
    }

    /// Creates `tmp`, `new` and `cur` for an account (idempotent).
    public func createMaildir(for account: String) throws {
        let base = maildirPath(for: account)
        for sub in ["tmp", "new", "cur"] {
            try FileManager.default.createDirectory(atPath: "\(base)/\(sub)", withIntermediateDirectories: true)
        }
    }

    /// Stores `message` for every account; returns the paths in `new/`.
    @discardableResult
    public func deliver(_ message: [UInt8], to accounts: [String], id: QueueID, now: Date = Date()) throws(DeliveryError)
        -> [String]
    {
        try deliver(MessageContent(message), to: accounts, id: id, now: now)
    }

    /// Stores `message` for every account; returns the paths in `new/`.
    @discardableResult
    /// - Parameter folder: a Maildir++ folder by its IMAP name (`Junk`), created when missing; nil: INBOX.
    public func deliver(_ message: MessageContent, to accounts: [String], id: QueueID, now: Date = Date(), folder: String? = nil)
        throws(DeliveryError) -> [String]
    {
        let unique = Array(Set(accounts)).sorted()
        guard let first = unique.first else { return [] }
        var name = "\(Int(now.timeIntervalSince1970)).\(id).\(hostname),S=\(message.count)"
        // Dovecot's `,W=`: the size with CRLF line ends (IMAP's RFC822.SIZE),
        // so that no reader has to read the file to learn it. Counted for
        // messages held in memory; a large one (spilled to disk as it came)
        // is measured when first read.
        if message.spillFile == nil {
            let joined = message.head.last == 0x0D && message.tail.first == 0x0A ? 1 : 0
            name += ",W=\(MaildirFile.imapSize(of: message.head) + MaildirFile.imapSize(of: message.tail) - joined)"
        }
        let suffix = folder.flatMap(MaildirFolders.directoryName(for:)).map { "/" + $0 } ?? ""
        func maildirPath(for account: String) -> String { self.maildirPath(for: account) + suffix }
        for account in unique where !FileManager.default.fileExists(atPath: maildirPath(for: account) + "/new") {
            do {
                try createMaildir(for: account)
                if let folder, !suffix.isEmpty { try MaildirFolders(maildir: self.maildirPath(for: account)).create(folder) }
            } catch { throw .ioError("cannot create Maildir for \(account): \(error)") }
        }
        let tmpPath = "\(maildirPath(for: first))/tmp/\(name)"
        try files.writeNewFile(message, to: tmpPath)
        defer { unlink(tmpPath) }
        var linked: [String] = []
        do throws(DeliveryError) {
            for account in unique {
                let target = "\(maildirPath(for: account))/new/\(name)"
                if link(tmpPath, target) != 0 {
                    let error = errno
                    guard error == EXDEV else { throw DurableFiles.error(error, "link \(target)") }
                    try files.writeNewFile(message, to: target)
                }
                linked.append(target)
            }
            try files.syncDirectories(unique.map { "\(maildirPath(for: $0))/new" })
        } catch {
            for path in linked { unlink(path) }
            throw error
        }
        return linked
    }

}
