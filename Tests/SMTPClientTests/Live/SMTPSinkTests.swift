import Foundation
import MailCore
import NIOCore
import SMTPClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Postfix's smtp-sink, started for each test on a free loopback port.
final class SMTPSink {
    let process: ServerProcess
    let port: Int
    let directory: URL

    /// - Parameter options: extra smtp-sink options (such as `-p`, no PIPELINING).
    init(options: [String] = []) async throws {
        directory = try makeTemporaryDirectory()
        port = try freePort()
        var arguments: [String] = []
        // smtp-sink insists on dropping root privileges.
        if getuid() == 0 { arguments += ["-u", "nobody"] }
        arguments += options + ["-d", directory.path + "/%M.", "127.0.0.1:\(port)", "100"]
        process = try ServerProcess(
            name: "smtp-sink", executable: LiveTools.smtpSink, arguments: arguments, logDirectory: directory)
        try await waitUntilListening(port: port, process: process)
    }

    /// The dump files written so far (one per transaction), waiting up to
    /// `timeout` seconds for at least `count` of them.
    func dumps(count: Int = 1, timeout: Double = 5) async throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.first?.isNumber == true }.sorted()
            if names.count >= count || Date() >= deadline {
                return try names.map { try String(contentsOfFile: directory.appendingPathComponent($0).path, encoding: .utf8) }
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    func stop() {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// smtp-sink's dump: its own X-… and three-line Received header, the message
/// with LF line ends, then one empty line. Returns (its headers, the message).
func splitSinkDump(_ dump: String) -> (headers: [String], message: String)? {
    var lines = dump.components(separatedBy: "\n")
    guard let received = lines.firstIndex(where: { $0.hasPrefix("Received: ") }), lines.count >= received + 3 else { return nil }
    let headers = Array(lines[..<received])
    lines.removeFirst(received + 3)
    // The dump ends "…last line\n" + "\n": two empty strings after splitting.
    guard lines.count >= 2, lines.suffix(2) == ["", ""] else { return nil }
    lines.removeLast()
    return (headers, lines.joined(separator: "\n"))
}

func liveConfiguration(tls: TLSPolicy = .opportunistic, limit: Duration = .seconds(10)) -> SMTPClientConfiguration {
    var configuration = SMTPClientConfiguration(heloName: "client.test")
    configuration.tls = tls
    var timeouts = Timeouts()
    timeouts.connect = limit
    timeouts.greeting = limit
    timeouts.command = limit
    timeouts.mail = limit
    timeouts.rcpt = limit
    timeouts.dataInitiation = limit
    timeouts.dataBlock = limit
    timeouts.dataTermination = limit
    configuration.timeouts = timeouts
    return configuration
}

@Suite("SMTPClient against Postfix smtp-sink", .enabled(if: LiveTools.hasSMTPSink))
struct SMTPSinkTests {
    /// Lines that need dot-stuffing, a lone ".", 8-bit text, a long line.
    static let message = Array(
        ("From: <sender@origin.test>\r\nTo: <a@dest.test>\r\nSubject: smtp-sink test\r\n\r\n"
            + ".starts with a dot\r\n.\r\n..two dots\r\nnot . a dot line\r\ncafé ünïcödé\r\n"
            + String(repeating: "x", count: 900) + "\r\nlast line\r\n").utf8)

    @Test("With PIPELINING (smtp-sink's default), the message arrives byte for byte, with both recipients")
    func pipelined() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        try await deliverAndCompare(sink)
    }

    @Test("Without PIPELINING (-p), the message arrives byte for byte too")
    func notPipelined() async throws {
        let sink = try await SMTPSink(options: ["-p"])
        defer { sink.stop() }
        try await deliverAndCompare(sink)
    }

    func deliverAndCompare(_ sink: SMTPSink) async throws {
        let client = SMTPClient(configuration: liveConfiguration())
        let envelope = OutboundEnvelope(reversePath: "sender@origin.test", recipients: ["a@dest.test", "b@dest.test"])
        let outcome = await client.send(Self.message, envelope: envelope, to: "127.0.0.1", port: sink.port)
        guard case .transaction(let replies, let remote) = outcome else {
            Issue.record("expected a transaction, got \(outcome); smtp-sink said: \(sink.process.output)")
            return
        }
        #expect(replies.mapValues(\.code) == ["a@dest.test": 250, "b@dest.test": 250])
        #expect(remote.hasPrefix("127.0.0.1:\(sink.port)"))

        let dumps = try await sink.dumps()
        #expect(dumps.count == 1)
        guard let dump = dumps.first, let (headers, received) = splitSinkDump(dump) else {
            Issue.record("no readable smtp-sink dump: \(dumps)")
            return
        }
        let sent = String(decoding: Self.message, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        #expect(received == sent)
        #expect(headers.contains("X-Helo-Args: client.test"))
        #expect(headers.contains("X-Mail-Args: <sender@origin.test> BODY=8BITMIME"))
        #expect(headers.filter { $0.hasPrefix("X-Rcpt-Args:") } == ["X-Rcpt-Args: <a@dest.test>", "X-Rcpt-Args: <b@dest.test>"])
    }

    @Test("A 4xx greeting (-r CONNECT) is a temporary failure, a 5xx one (-f CONNECT) permanent")
    func refusedGreeting() async throws {
        for (option, permanent) in [("-r", false), ("-f", true)] {
            let sink = try await SMTPSink(options: [option, "CONNECT"])
            defer { sink.stop() }
            let client = SMTPClient(configuration: liveConfiguration())
            let outcome = await client.send(
                Self.message, envelope: OutboundEnvelope(reversePath: "", recipients: ["a@dest.test"]), to: "127.0.0.1",
                port: sink.port)
            guard case .failed(_, let reply?, let isPermanent) = outcome else {
                Issue.record("expected a failure with a reply for \(option) CONNECT, got \(outcome)")
                continue
            }
            #expect(isPermanent == permanent)
            #expect(reply.isPermanentFailure == permanent)
            let dumps = try await sink.dumps(count: 0)
            #expect(dumps.isEmpty)
        }
    }
}
