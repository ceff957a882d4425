import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The external programs the live tests start, and whether they can run.
///
/// A missing tool skips its tests with a loud message on a developer
/// machine; with CI=true the tests run anyway and fail, so a CI image that
/// lost a package cannot pass silently.
enum LiveTools {
    static let smtpSink = "/usr/sbin/smtp-sink"
    static let python = "/usr/bin/python3"

    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    static let hasSMTPSink = check("smtp-sink (Postfix)", FileManager.default.isExecutableFile(atPath: smtpSink))
    static let hasAiosmtpd = check(
        "python3-aiosmtpd", FileManager.default.isExecutableFile(atPath: python) && run(python, ["-c", "import aiosmtpd"]) == 0)
    static let hasOpenSSL = check("openssl", openSSL != nil)

    static let openSSL: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// True when the tool is there, or when CI is set (then a missing tool fails the test).
    private static func check(_ name: String, _ present: Bool) -> Bool {
        if present { return true }
        if isCI { return true }
        let message = """

            ************************************************************
            SKIPPING SMTPClient live tests that need \(name): not installed.
            (Debian: apt-get install -y postfix python3-aiosmtpd openssl)
            Set CI=true to make this a failure instead of a skip.
            ************************************************************

            """
        FileHandle.standardError.write(Data(message.utf8))
        return false
    }

    /// Runs a program to completion, output discarded; returns its exit status.
    @discardableResult
    static func run(_ path: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

struct LiveTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory under the system's temporary directory, world-writable
/// (smtp-sink drops its privileges to "nobody" before writing there).
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("smtpclient-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: url.path)
    return url
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel picked.
///
/// `listen()` makes it a server that accepts connections at the TCP level
/// (the kernel completes the handshake) but never reads or writes: a
/// server that never sends its greeting.
final class LoopbackSocket {
    let descriptor: Int32
    let port: Int

    init() throws {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw LiveTestError("socket() failed: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(descriptor)
            throw LiveTestError("bind() failed: \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func listen(backlog: Int32 = 16) throws {
        #if canImport(Glibc)
            let result = Glibc.listen(descriptor, backlog)
        #else
            let result = Darwin.listen(descriptor, backlog)
        #endif
        guard result == 0 else { throw LiveTestError("listen() failed: \(errno)") }
    }

    deinit { close(descriptor) }
}

/// A port that was free a moment ago (bound, read back, released). Another
/// process could take it in between; the tests only run briefly on loopback.
func freePort() throws -> Int {
    try LoopbackSocket().port
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`,
/// polling every 50 ms up to `timeout` seconds.
func waitUntilListening(port: Int, timeout: Double = 15, process: ServerProcess? = nil) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if let process, !process.isRunning {
            throw LiveTestError("\(process.name) exited before listening: \(process.output)")
        }
        if canConnect(port: port) { return }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
    throw LiveTestError("nothing listening on 127.0.0.1:\(port) after \(timeout) s: \(process?.output ?? "")")
}

private func canConnect(port: Int) -> Bool {
    #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    return result == 0
}

/// A server program started for one test and killed at its end.
final class ServerProcess {
    let name: String
    private let process = Process()
    private let logURL: URL

    init(name: String, executable: String, arguments: [String], logDirectory: URL) throws {
        self.name = name
        logURL = logDirectory.appendingPathComponent("\(name).log")
        guard FileManager.default.createFile(atPath: logURL.path, contents: nil) else {
            throw LiveTestError("cannot create \(logURL.path)")
        }
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// What the program printed so far (for failure messages).
    var output: String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    /// Kills the program with SIGKILL: a child started from a test process
    /// inherits its blocked-signal mask, in which SIGTERM is usually blocked
    /// (the test would then wait for ever).
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
