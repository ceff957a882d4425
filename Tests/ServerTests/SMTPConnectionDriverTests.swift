import Configuration
import DNS
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

/// The SMTP driver itself (SMTPConnection with the real framing handler,
/// policy, directory and Maildir storage) over an in-process
/// NIOAsyncTestingChannel: no sockets, no harness that re-implements it.
@Suite("SMTPConnection driven through NIOAsyncTestingChannel")
struct SMTPConnectionDriverTests {
    final class Fixture: @unchecked Sendable {
        let root: String
        let pool: NIOThreadPool
        let channel: NIOAsyncTestingChannel
        let connection: SMTPConnection
        private var pending = ""

        init() async throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("sims-smtp-driver-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: "\(root)/tmp", withIntermediateDirectories: true)
            let directory = try Directory(path: "\(root)/sims.sqlite")
            try directory.addDomain("example.test")
            try directory.addAccount("alice@example.test", passwordHash: try PasswordHasher.hash("correct horse battery staple"))
            pool = NIOThreadPool(numberOfThreads: 2)
            pool.start()
            let delivery = LocalDelivery(
                writer: MaildirWriter(mailRoot: "\(root)/mail", hostname: "mx.example.test"), threadPool: pool)
            // Loopback clients are exempt from the DNS checks, so the resolver is never asked.
            let resolver = StubResolver(
                servers: ["127.0.0.1:9"], group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "dns"))
            let services = SMTPServices(
                hostname: "mx.example.test", limits: ServerConfiguration().limits, timeouts: ServerConfiguration().timeouts,
                directory: directory, delivery: delivery, queueIDs: QueueIDGenerator(),
                tls: ServerTLS(certificatePath: "\(root)/none.crt", keyPath: "\(root)/none.key"),
                logs: LogFactory(sink: LogSink(directory: nil, toStderr: false), defaultLevel: 2, moduleLevels: [:]),
                clientNetworks: ClientNetworks(), hideSubmitterAddress: false, authGuard: AuthenticationGuard(), popBeforeSMTP: nil,
                policy: SMTPPolicy(
                    options: AntiSpamOptions(), hostname: "mx.example.test", clientNetworks: [], resolver: resolver,
                    localDomains: { directory.localDomainNames() }, ourAddresses: []),
                outbound: nil, spillDirectory: "\(root)/tmp")
            channel = NIOAsyncTestingChannel()
            let channel = self.channel
            let timeouts = SessionTimeouts(services.timeouts.smtpSettings)
            // The same pipeline LineListenerSocket builds for an accepted connection.
            let (wrapped, frame) = try await channel.eventLoop.submit {
                let frame = LineFrameHandler(
                    maximumLineLength: 998, timeouts: timeouts, hostname: "mx.example.test", logger: Logger(label: "test"))
                try channel.pipeline.syncOperations.addHandler(frame)
                let wrapped = try NIOAsyncChannel<ConnectionInbound, ByteBuffer>(wrappingChannelSynchronously: channel)
                return (wrapped, NIOLoopBound(frame, eventLoop: channel.eventLoop))
            }.get()
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000))
            connection = SMTPConnection(
                services: services, channel: wrapped, frame: frame, timeouts: timeouts, clientAddress: "127.0.0.1",
                submission: false, implicitTLS: false, logger: Logger(label: "test"))
        }

        /// The next complete reply the driver wrote (multi-line replies joined).
        func reply() async throws -> String {
            while true {
                if let end = pending.range(of: "\r\n") {
                    let line = String(pending[..<end.lowerBound])
                    pending = String(pending[end.upperBound...])
                    if line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] != "-" { return line }
                    continue
                }
                var buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
                pending += buffer.readString(length: buffer.readableBytes) ?? ""
            }
        }

        func send(_ text: String) async throws {
            try await channel.writeInbound(ByteBuffer(string: text))
        }

        var delivered: [String] {
            (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/mail/example.test/alice/Maildir/new")) ?? []
        }

        func close() async {
            try? await pool.shutdownGracefully()
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    @Test("A pipelined transaction is answered in order, the message is in the Maildir before the 250, relay is refused")
    func transaction() async throws {
        let fixture = try await Fixture()
        let run = Task { await fixture.connection.run() }
        #expect(try await fixture.reply().hasPrefix("220 mx.example.test"))
        try await fixture.send("EHLO client.test\r\nMAIL FROM:<bob@remote.test>\r\nRCPT TO:<alice@example.test>\r\n")
        #expect(try await fixture.reply().hasPrefix("250 "))
        #expect(try await fixture.reply().hasPrefix("250 2.0.0 Sender"))
        #expect(try await fixture.reply().hasPrefix("250 2.0.0 Recipient"))
        try await fixture.send("RCPT TO:<eve@elsewhere.test>\r\n")
        #expect(try await fixture.reply().hasPrefix("554 5.7.1"))
        try await fixture.send("DATA\r\n")
        #expect(try await fixture.reply().hasPrefix("354"))
        try await fixture.send("Subject: driven\r\n\r\n..one dot\r\n.\r\n")
        let accepted = try await fixture.reply()
        #expect(accepted.hasPrefix("250 2.0.0"))
        #expect(fixture.delivered.count == 1, "stored before the 250 was sent")
        let stored = try String(
            contentsOfFile: "\(fixture.root)/mail/example.test/alice/Maildir/new/\(fixture.delivered[0])", encoding: .utf8)
        #expect(stored.hasPrefix("Received: from client.test"))
        #expect(stored.hasSuffix("Subject: driven\r\n\r\n.one dot\r\n"))
        try await fixture.send("QUIT\r\n")
        #expect(try await fixture.reply().hasPrefix("221"))
        await run.value
        await fixture.close()
    }
}
