import Foundation
import MailCore
import NIOCore
import SMTPClient
import Testing

/// A TCP proxy in front of smtp-sink that logs every connection it
/// accepts ("accept N") and every one that ends ("close N"), so a test can
/// count the client's TCP connections.
///
/// - `--drop-on-rset`: a client write that starts with RSET aborts both
///   sides instead of being passed on (a cached connection that died
///   without the client noticing until it speaks).
/// - `--idle-close S`: a connection on which the client sent nothing for S
///   seconds is closed by the proxy (a server timing out an idle client).
final class CountingProxy {
    static let script = #"""
        import asyncio, sys
        listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
        drop_on_rset = "--drop-on-rset" in sys.argv
        idle_close = float(sys.argv[sys.argv.index("--idle-close") + 1]) if "--idle-close" in sys.argv else None
        count = 0

        async def pipe(reader, writer, from_client, n):
            try:
                while True:
                    if from_client and idle_close is not None:
                        data = await asyncio.wait_for(reader.read(65536), idle_close)
                    else:
                        data = await reader.read(65536)
                    if not data:
                        return
                    if from_client and drop_on_rset and data.upper().startswith(b"RSET"):
                        print("drop %d" % n, flush=True)
                        return
                    writer.write(data)
                    await writer.drain()
            except asyncio.TimeoutError:
                print("idle-close %d" % n, flush=True)
            except Exception:
                pass

        async def handle(client_reader, client_writer):
            global count
            count += 1
            n = count
            print("accept %d" % n, flush=True)
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
            tasks = [asyncio.ensure_future(pipe(client_reader, server_writer, True, n)),
                     asyncio.ensure_future(pipe(server_reader, client_writer, False, n))]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
            client_writer.transport.abort()
            server_writer.transport.abort()
            print("close %d" % n, flush=True)

        async def main():
            server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
            print("listening", flush=True)
            async with server:
                await server.serve_forever()

        asyncio.run(main())
        """#

    let process: ServerProcess
    let port: Int

    init(to targetPort: Int, options: [String] = [], logDirectory: URL) async throws {
        port = try freePort()
        process = try ServerProcess(
            name: "proxy", executable: LiveTools.python,
            arguments: ["-u", "-c", Self.script, "\(port)", "\(targetPort)"] + options, logDirectory: logDirectory)
        // Not waitUntilListening: its probe connection would be counted.
        let deadline = Date().addingTimeInterval(15)
        while !process.output.contains("listening") {
            guard process.isRunning, Date() < deadline else {
                throw LiveTestError("the proxy did not start: \(process.output)")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Log lines starting with `event` ("accept", "close", "drop", "idle-close").
    func count(_ event: String) -> Int {
        process.output.split(separator: "\n").filter { $0.hasPrefix("\(event) ") }.count
    }

    /// Waits up to `timeout` seconds for `count(event) >= n`.
    func waitFor(_ event: String, atLeast n: Int, timeout: Double = 5) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while count(event) < n {
            if Date() >= deadline { return false }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return true
    }

    func stop() { process.stop() }
}

@Suite(
    "SMTPClient: connection reuse against smtp-sink, connections counted by a proxy",
    .enabled(if: LiveTools.hasSMTPSink && LiveTools.hasAiosmtpd), .serialized)
struct ConnectionReuseTests {
    static let envelope = OutboundEnvelope(reversePath: "sender@origin.test", recipients: ["a@dest.test"])

    static func message(_ n: Int) -> [UInt8] {
        Array(
            "From: <sender@origin.test>\r\nSubject: reuse \(n)\r\n\r\n.dot line \(n)\r\n.\r\nbody of message \(n)\r\n".utf8)
    }

    /// The dumps' message texts, as they were sent (CRLF).
    static func receivedMessages(_ sink: SMTPSink, count: Int) async throws -> [String] {
        try await sink.dumps(count: count).compactMap { splitSinkDump($0)?.message.replacingOccurrences(of: "\n", with: "\r\n") }
    }

    func expectTransaction(_ outcome: AttemptOutcome, _ context: String) {
        guard case .transaction(let replies, _) = outcome else {
            Issue.record("\(context): expected a transaction, got \(outcome)")
            return
        }
        #expect(replies.mapValues(\.code) == ["a@dest.test": 250], "\(context)")
    }

    @Test("20 sequential sends use ONE connection; all 20 messages arrive intact; shutdown() QUITs it")
    func twentyOnOneConnection() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let proxy = try await CountingProxy(to: sink.port, logDirectory: sink.directory)
        defer { proxy.stop() }
        let client = SMTPClient(configuration: liveConfiguration())
        for n in 1...20 {
            let outcome = await client.send(Self.message(n), envelope: Self.envelope, to: "127.0.0.1", port: proxy.port)
            expectTransaction(outcome, "message \(n)")
        }
        #expect(proxy.count("accept") == 1)
        let received = try await Self.receivedMessages(sink, count: 20)
        #expect(Set(received) == Set((1...20).map { String(decoding: Self.message($0), as: UTF8.self) }))
        #expect(received.count == 20)
        #expect(proxy.count("close") == 0)
        await client.shutdown()
        #expect(try await proxy.waitFor("close", atLeast: 1, timeout: 3))
        // After shutdown, sends still work, on connections that are not kept.
        expectTransaction(
            await client.send(Self.message(21), envelope: Self.envelope, to: "127.0.0.1", port: proxy.port), "after shutdown")
        #expect(proxy.count("accept") == 2)
        #expect(try await proxy.waitFor("close", atLeast: 2, timeout: 3))
    }

    @Test("maximumReuse 3: seven sends take three connections")
    func maximumReuse() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let proxy = try await CountingProxy(to: sink.port, logDirectory: sink.directory)
        defer { proxy.stop() }
        var configuration = liveConfiguration()
        configuration.maximumReuse = 3
        let client = SMTPClient(configuration: configuration)
        for n in 1...7 {
            expectTransaction(
                await client.send(Self.message(n), envelope: Self.envelope, to: "127.0.0.1", port: proxy.port), "message \(n)")
        }
        #expect(proxy.count("accept") == 3)
        // The two connections that carried three transactions each are closed.
        #expect(try await proxy.waitFor("close", atLeast: 2, timeout: 3))
        #expect(try await Self.receivedMessages(sink, count: 7).count == 7)
        await client.shutdown()
    }

    @Test("maximumReuse 1 turns reuse off: every send its own connection")
    func reuseOff() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let proxy = try await CountingProxy(to: sink.port, logDirectory: sink.directory)
        defer { proxy.stop() }
        var configuration = liveConfiguration()
        configuration.maximumReuse = 1
        let client = SMTPClient(configuration: configuration)
        for n in 1...3 {
            expectTransaction(
                await client.send(Self.message(n), envelope: Self.envelope, to: "127.0.0.1", port: proxy.port), "message \(n)")
        }
        #expect(proxy.count("accept") == 3)
    }

    @Test("The idle timeout closes an unused connection; the next send opens a new one")
    func idleTimeout() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let proxy = try await CountingProxy(to: sink.port, logDirectory: sink.directory)
        defer { proxy.stop() }
        var configuration = liveConfiguration()
        configuration.idleTimeout = .milliseconds(400)
        let client = SMTPClient(configuration: configuration)
        expectTransaction(await client.send(Self.message(1), envelope: Self.envelope, to: "127.0.0.1", port: proxy.port), "first")
        try await Task.sleep(nanoseconds: 150_000_000)
        #expect(proxy.count("close") == 0)
        #expect(try await proxy.waitFor("close", atLeast: 1, timeout: 3))
        expectTransaction(
            await client.send(Self.message(2), envelope: Self.envelope, to: "127.0.0.1", port: proxy.port), "second")
        #expect(proxy.count("accept") == 2)
        #expect(try await Self.receivedMessages(sink, count: 2).count == 2)
        await client.shutdown()
    }

    @Test("A cached connection the server closed while idle is replaced: the next send succeeds")
    func closedWhileIdle() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let proxy = try await CountingProxy(to: sink.port, options: ["--idle-close", "0.3"], logDirectory: sink.directory)
        defer { proxy.stop() }
        let client = SMTPClient(configuration: liveConfiguration())
        expectTransaction(await client.send(Self.message(1), envelope: Self.envelope, to: "127.0.0.1", port: proxy.port), "first")
        #expect(try await proxy.waitFor("idle-close", atLeast: 1, timeout: 3))
        try await Task.sleep(nanoseconds: 100_000_000)
        expectTransaction(
            await client.send(Self.message(2), envelope: Self.envelope, to: "127.0.0.1", port: proxy.port), "second")
        #expect(proxy.count("accept") == 2)
        #expect(try await Self.receivedMessages(sink, count: 2).count == 2)
        await client.shutdown()
    }

    @Test("A cached connection that dies at RSET: the send retries on a fresh connection and succeeds")
    func deadAtReset() async throws {
        let sink = try await SMTPSink()
        defer { sink.stop() }
        let proxy = try await CountingProxy(to: sink.port, options: ["--drop-on-rset"], logDirectory: sink.directory)
        defer { proxy.stop() }
        let client = SMTPClient(configuration: liveConfiguration())
        for n in 1...3 {
            expectTransaction(
                await client.send(Self.message(n), envelope: Self.envelope, to: "127.0.0.1", port: proxy.port), "message \(n)")
        }
        // Each later send tried the cached connection (dropped at RSET), then a fresh one.
        #expect(proxy.count("drop") == 2)
        #expect(proxy.count("accept") == 3)
        let received = try await Self.receivedMessages(sink, count: 3)
        #expect(Set(received) == Set((1...3).map { String(decoding: Self.message($0), as: UTF8.self) }))
        await client.shutdown()
    }

    @Test("maximumIdleConnections 1: of three concurrent connections one is kept, two are QUIT")
    func maximumIdle() async throws {
        // -w 1: DATA is answered after a second, so the three sends overlap.
        let sink = try await SMTPSink(options: ["-w", "1"])
        defer { sink.stop() }
        let proxy = try await CountingProxy(to: sink.port, logDirectory: sink.directory)
        defer { proxy.stop() }
        var configuration = liveConfiguration()
        configuration.maximumIdleConnections = 1
        let client = SMTPClient(configuration: configuration)
        let port = proxy.port
        await withTaskGroup(of: AttemptOutcome.self) { group in
            for n in 1...3 {
                group.addTask { await client.send(Self.message(n), envelope: Self.envelope, to: "127.0.0.1", port: port) }
            }
            for await outcome in group { expectTransaction(outcome, "concurrent") }
        }
        #expect(proxy.count("accept") == 3)
        #expect(try await proxy.waitFor("close", atLeast: 2, timeout: 3))
        try await Task.sleep(nanoseconds: 200_000_000)
        #expect(proxy.count("close") == 2)
        expectTransaction(await client.send(Self.message(4), envelope: Self.envelope, to: "127.0.0.1", port: port), "fourth")
        #expect(proxy.count("accept") == 3)
        await client.shutdown()
        #expect(try await proxy.waitFor("close", atLeast: 3, timeout: 3))
    }
}
