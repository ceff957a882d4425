import DNS
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Debian's python3-dnslib serving a zone file on a loopback port.
///
/// `zoneresolver` answers from the file alone: it never follows CNAMEs (so
/// the resolver must), answers NXDOMAIN without an SOA (so nothing is
/// negatively cached), and with `-u 512` truncates UDP replies over 512
/// octets to a bare header with TC set (so the resolver must use TCP).
final class ZoneServer {
    static let python = "/usr/bin/python3"

    /// Runs `dnslib.zoneresolver` with the arguments given, and exits when its
    /// standard input closes: if the test process dies without stopping the
    /// server, the server goes too instead of lingering on its port.
    static let launcher = """
        import os, runpy, sys, threading
        def watch():
            sys.stdin.buffer.read()
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
        sys.argv = ["zoneresolver"] + sys.argv[1:]
        runpy.run_module("dnslib.zoneresolver", run_name="__main__")
        """

    /// Whether dnslib can be imported by the system Python.
    static let isAvailable: Bool = {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", "import dnslib"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        do { try check.run() } catch { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }()

    /// With CI=true a missing dnslib fails the tests instead of skipping them.
    static let isRequired = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Whether the loopback suites run; says so loudly when they do not.
    static let shouldRun: Bool = {
        if !isAvailable && !isRequired {
            let line = String(repeating: "!", count: 78)
            FileHandle.standardError.write(
                Data(
                    """
                    \(line)
                    !! SKIPPING the loopback DNS tests: \(python) cannot import dnslib.
                    !! Install it with: apt-get install -y python3-dnslib  (CI=true makes this a failure)
                    \(line)

                    """.utf8))
        }
        return isAvailable || isRequired
    }()

    let host: String
    let port: Int
    private let process: Process
    private let input: Pipe
    private let directory: URL

    /// `"host:port"` as StubResolver takes it.
    var server: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Starts dnslib on a free port and waits, polling, until it answers over
    /// both UDP and TCP (`probe` must need TCP to answer).
    static func start(zone: String, host: String = "127.0.0.1", probe: String) async throws -> ZoneServer {
        try #require(isAvailable, "python3-dnslib is required (CI=true): apt-get install -y python3-dnslib")
        let port = try #require(LoopbackSockets.freePort(host: host), "no free port on \(host)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sims-dns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let zoneFile = directory.appendingPathComponent("zone.txt")
        try zone.write(to: zoneFile, atomically: true, encoding: .utf8)
        let errors = directory.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            "-c", launcher, "-z", zoneFile.path, "-a", host, "-p", String(port), "--tcp", "-u", "512",
        ]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let server = ZoneServer(host: host, port: port, process: process, input: input, directory: directory)

        let probing = StubResolver(servers: [server.server], timeout: .milliseconds(250), attempts: 1)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while clock.now < deadline {
            if (try? await probing.txt(probe)) != nil { return server }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        server.stop()
        Issue.record("dnslib did not answer on \(server.server): \(log)")
        throw CancellationError()
    }

    private init(host: String, port: Int, process: Process, input: Pipe, directory: URL) {
        self.host = host
        self.port = port
        self.process = process
        self.input = input
        self.directory = directory
    }

    /// Kills the server with SIGKILL: a child of the test runner may start
    /// with SIGTERM blocked (it inherits the spawning thread's signal mask),
    /// and then `terminate()` would leave it running.
    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` with a server, and stops the server however `body` ends.
    static func with(
        zone: String, host: String = "127.0.0.1", probe: String, _ body: (ZoneServer) async throws -> Void
    ) async throws {
        let server = try await start(zone: zone, host: host, probe: probe)
        defer { server.stop() }
        try await body(server)
    }
}
