import Foundation
import MailCore
import MailStore

/// Runs `body` with a fresh, empty directory under the system temporary
/// directory, and removes it afterwards whatever happens.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("sims-mailstore-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Runs `body` with a new, empty `Directory` in a temporary file.
func withDirectory<T>(_ body: (Directory) throws -> T) throws -> T {
    try withTemporaryDirectory { root throws in
        try body(try Directory(path: "\(root)/sims.sqlite"))
    }
}

/// A RCPT TO path as the SMTP session would hand it to the directory.
func rcpt(_ text: String, allowUTF8: Bool = false) throws -> EnvelopePath {
    try PathParser.parse(Substring(text), allowNull: false, allowUTF8: allowUTF8).path
}

/// A value shared by test threads, behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Runs `count` copies of `body` on that many real threads at once (not a
/// pool that might run them one after another), and waits for all of them.
/// Returns false if they did not all finish within `timeout` seconds.
func runOnThreads(_ count: Int, timeout: Double = 20, _ body: @escaping @Sendable (Int) -> Void) -> Bool {
    let group = DispatchGroup()
    let start = DispatchSemaphore(value: 0)
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            start.wait()
            body(index)
            group.leave()
        }
        thread.start()
    }
    for _ in 0..<count { start.signal() }
    return group.wait(timeout: .now() + timeout) == .success
}

/// Regular files directly inside `path` (empty when it does not exist).
func files(in path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}
