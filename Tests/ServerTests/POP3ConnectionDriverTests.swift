import Foundation
import Logging
import MailCore
import MailStore
import NIOCore
import NIOEmbedded
import NIOPosix
import Policy
import Testing

@testable import Server

/// The POP3 driver itself (POP3Connection with the real framing handler),
/// over an in-process NIOAsyncTestingChannel: no sockets, no harness that
/// re-implements the driver.
@Suite("POP3Connection driven through NIOAsyncTestingChannel")
struct POP3ConnectionDriverTests {
    static let account = "alice@example.test"
    static let password = "correct horse battery staple"

    /// A mailbox with one message, the services around it, and a driver on a testing channel.
    final class Fixture: @unchecked Sendable {
        let root: String
        let pool: NIOThreadPool
        let channel: NIOAsyncTestingChannel
        let connection: POP3Connection

        init() async throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("sims-driver-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let directory = try Directory(path: "\(root)/sims.sqlite")
            try directory.addDomain("example.test")
            try directory.addAccount(
                POP3ConnectionDriverTests.account, passwordHash: try PasswordHasher.hash(POP3ConnectionDriverTests.password))
            let writer = MaildirWriter(mailRoot: "\(root)/mail", hostname: "mx.example.test")
            try writer.deliver(
                Array("Subject: one\r\n\r\n.dot line\r\nbody\r\n".utf8), to: [POP3ConnectionDriverTests.account],
                id: QueueID(rawValue: "S.1"))
            pool = NIOThreadPool(numberOfThreads: 2)
            pool.start()
            let delivery = LocalDelivery(writer: writer, threadPool: pool)
            let services = POP3Services(
                hostname: "mx.example.test", reader: MaildirReader(mailRoot: "\(root)/mail", hostname: "mx.example.test"),
                credentials: CredentialCheck(
                    directory: directory, storage: pool, guardian: AuthenticationGuard(), verified: VerifiedPasswordCache()),
                locks: MailboxLocks(), tls: ServerTLS(certificatePath: "\(root)/none.crt", keyPath: "\(root)/none.key"),
                plaintextAllowed: true, timeouts: SessionTimeouts.Settings(), delivery: delivery, popBeforeSMTP: nil)
            channel = NIOAsyncTestingChannel()
            let channel = self.channel
            let timeouts = SessionTimeouts(services.timeouts)
            // The same pipeline LineListenerSocket builds for an accepted connection.
            let (wrapped, frame) = try await channel.eventLoop.submit {
                let frame = LineFrameHandler(
                    maximumLineLength: 1000, timeouts: timeouts, hostname: "mx.example.test",
                    logger: Logger(label: "test"), timeoutText: "-ERR Timeout\r\n")
                try channel.pipeline.syncOperations.addHandler(frame)
                let wrapped = try NIOAsyncChannel<ConnectionInbound, ByteBuffer>(wrappingChannelSynchronously: channel)
                return (wrapped, NIOLoopBound(frame, eventLoop: channel.eventLoop))
            }.get()
            try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 40000))
            connection = POP3Connection(
                services: services, channel: wrapped, frame: frame,
                clientAddress: "192.0.2.7", implicitTLS: false, logger: Logger(label: "test"))
        }

        /// The next line the driver wrote.
        func line() async throws -> String {
            var pending = ""
            while !pending.hasSuffix("\r\n") {
                var buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
                pending += buffer.readString(length: buffer.readableBytes) ?? ""
            }
            return pending
        }

        func send(_ text: String) async throws {
            try await channel.writeInbound(ByteBuffer(string: text))
        }

        func close() async throws {
            try? await pool.shutdownGracefully()
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    @Test("Greeting, login, STAT, RETR byte-stuffed, DELE and QUIT commit: the real driver on a testing channel")
    func dialogue() async throws {
        let fixture = try await Fixture()
        let run = Task { await fixture.connection.run() }
        #expect(try await fixture.line().hasPrefix("+OK"))
        try await fixture.send("USER \(Self.account)\r\n")
        #expect(try await fixture.line().hasPrefix("+OK"))
        try await fixture.send("PASS \(Self.password)\r\n")
        #expect(try await fixture.line().hasPrefix("+OK"))
        try await fixture.send("STAT\r\n")
        #expect(try await fixture.line() == "+OK 1 33\r\n")
        try await fixture.send("RETR 1\r\n")
        var retrieved = ""
        while !retrieved.hasSuffix("\r\n.\r\n") {
            var buffer = try await fixture.channel.waitForOutboundWrite(as: ByteBuffer.self)
            retrieved += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        #expect(retrieved.hasPrefix("+OK"))
        #expect(
            retrieved.hasSuffix("Subject: one\r\n\r\n..dot line\r\nbody\r\n.\r\n"), "a line starting with a dot is byte-stuffed")
        try await fixture.send("DELE 1\r\nQUIT\r\n")
        #expect(try await fixture.line().hasPrefix("+OK"))
        #expect(try await fixture.line().hasPrefix("+OK"))
        await run.value
        let left =
            try FileManager.default.contentsOfDirectory(atPath: "\(fixture.root)/mail/example.test/alice/Maildir/new")
            + FileManager.default.contentsOfDirectory(atPath: "\(fixture.root)/mail/example.test/alice/Maildir/cur")
        #expect(left.isEmpty, "DELE took effect at QUIT")
        try await fixture.close()
    }

    @Test("Without a certificate STLS is refused with -ERR and the session goes on")
    func pipelinedAfterRefusedSTLS() async throws {
        let fixture = try await Fixture()
        let run = Task { await fixture.connection.run() }
        #expect(try await fixture.line().hasPrefix("+OK"))
        try await fixture.send("STLS\r\nQUIT\r\n")
        #expect(try await fixture.line().hasPrefix("-ERR"))
        #expect(try await fixture.line().hasPrefix("+OK"))
        await run.value
        try await fixture.close()
    }
}
