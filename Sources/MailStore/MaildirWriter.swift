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
    let groupCommit: GroupCommit?

    public init(mailRoot: String, hostname: String, sync: SyncMode = .fsync) {
        groupCommit = sync == .group ? GroupCommit() : nil
        self.mailRoot = mailRoot
        self.hostname = hostname.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
    }

    /// `mail/DOMAIN/USER/Maildir` for an account `user@domain`.
    public func maildirPath(for account: String) -> String {
        let at = account.lastIndex(of: "@")!
        let user = account[..<at]
        let domain = account[account.index(after: at)...]
        return "\(mailRoot)/\(domain)/\(user)/Maildir"
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
        let unique = Array(Set(accounts)).sorted()
        guard let first = unique.first else { return [] }
        let name = "\(Int(now.timeIntervalSince1970)).\(id).\(hostname),S=\(message.count)"
        for account in unique where !FileManager.default.fileExists(atPath: maildirPath(for: account) + "/new") {
            do { try createMaildir(for: account) } catch { throw .ioError("cannot create Maildir for \(account): \(error)") }
        }
        let tmpPath = "\(maildirPath(for: first))/tmp/\(name)"
        try write(message, to: tmpPath)
        defer { unlink(tmpPath) }
        var linked: [String] = []
        do throws(DeliveryError) {
            for account in unique {
                let target = "\(maildirPath(for: account))/new/\(name)"
                if link(tmpPath, target) != 0 {
                    let error = errno
                    guard error == EXDEV else { throw Self.error(error, "link \(target)") }
                    try write(message, to: target)
                }
                linked.append(target)
            }
            try makeLinksDurable(unique.map { "\(maildirPath(for: $0))/new" })
        } catch {
            for path in linked { unlink(path) }
            throw error
        }
        return linked
    }

    /// Links are durable once their directories are: fsync each, or one
    /// shared syncfs.
    private func makeLinksDurable(_ directories: [String]) throws(DeliveryError) {
        guard let groupCommit else {
            for directory in directories { try syncDirectory(directory) }
            return
        }
        let fd = open(directories[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.error(errno, "open \(directories[0])") }
        defer { close(fd) }
        try groupCommit.sync(fileSystemOf: fd)
    }

    /// Writes a new file and makes its content durable before returning.
    private func write(_ bytes: [UInt8], to path: String) throws(DeliveryError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.error(errno, "open \(path)") }
        var failure: DeliveryError?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = Self.error(errno, "write \(path)")
                    return
                }
                offset += written
            }
        }
        if failure == nil {
            if let groupCommit {
                do { try groupCommit.sync(fileSystemOf: fd) } catch { failure = error }
            } else if fsync(fd) != 0 {
                failure = Self.error(errno, "fsync \(path)")
            }
        }
        if close(fd) != 0, failure == nil { failure = Self.error(errno, "close \(path)") }
        if let failure {
            unlink(path)
            throw failure
        }
    }

    private func syncDirectory(_ path: String) throws(DeliveryError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.error(errno, "open \(path)") }
        defer { close(fd) }
        if fsync(fd) != 0 { throw Self.error(errno, "fsync \(path)") }
    }

    private static func error(_ code: Int32, _ what: String) -> DeliveryError {
        let text = "\(what): \(String(cString: strerror(code)))"
        return (code == ENOSPC || code == EDQUOT) ? .insufficientStorage(text) : .ioError(text)
    }
}
