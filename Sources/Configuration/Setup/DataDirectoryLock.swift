import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps a second `sims serve` away from a data directory that one already
/// serves: two would write one log and run two queue runners on one spool.
///
/// An exclusive `flock(2)` on `DIR/sims.lock`, taken before anything else is
/// opened and held until the process ends (the kernel drops it then, also
/// after `kill -9`, so a stale file never blocks a restart). The file holds
/// the owner's pid, for the message the second one prints.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    public static let fileName = "sims.lock"

    /// Creates the data directory itself if needed (not its contents), then
    /// locks it, or says who holds it.
    public static func acquire(_ dataDirectory: DataDirectory) throws(DataDirectoryLockError) -> DataDirectoryLock {
        let root = dataDirectory.root
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw .cannotOpen(root, reason: "cannot create the directory")
        }
        let path = "\(root)/\(fileName)"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .cannotOpen(path, reason: String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            let owner = readOwner(descriptor)
            close(descriptor)
            if failure == EWOULDBLOCK { throw .inUse(root, pid: owner) }
            throw .cannotOpen(path, reason: String(cString: strerror(failure)))
        }
        let text = Array("\(getpid())\n".utf8)
        if ftruncate(descriptor, 0) == 0 { _ = pwrite(descriptor, text, text.count, 0) }
        return DataDirectoryLock(descriptor: descriptor, path: path)
    }

    private static func readOwner(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }
}

public enum DataDirectoryLockError: Error, CustomStringConvertible {
    case inUse(String, pid: Int32?)
    case cannotOpen(String, reason: String)

    public var description: String {
        switch self {
        case .inUse(let root, let pid):
            return "data directory \(root) is in use by \(pid.map { "pid \($0)" } ?? "another process") "
                + "(another 'sims serve' runs on it; stop that one first)"
        case .cannotOpen(let path, let reason):
            return "cannot lock the data directory: \(path): \(reason)"
        }
    }
}
