import Testing

@testable import Operator

@Suite struct ExplainTests {
    func withLog<T>(_ text: String, _ body: (String) throws -> T) throws -> T {
        let path = "/tmp/sims-explain-test-\(UInt32.random(in: 0...UInt32.max)).log"
        try writeFile(path, text + "\n")
        defer { removeTree(path) }
        return try body(path)
    }

    static let log = """
        2026-11-29T09:00:00.000Z 2 SMTP-2 127.0.0.2 connected to 127.0.0.1:2525
        2026-11-29T09:00:00.001Z 2 SMTP-2 127.0.0.2 disconnected
        \(SampleLog.localDelivery)
        \(SampleLog.networkRelay)
        2026-11-29T03:10:00.000Z 2 SMTP-2 127.0.0.4 connected to 127.0.0.1:2525
        2026-11-29T03:10:00.001Z 4 SMTP-2 127.0.0.4 < EHLO later.test
        """

    @Test func relayedMessageWithBounce() throws {
        let story = try withLog(Self.log) { try MessageStory.collect(queueID: "S.NET1", files: [$0]) }
        #expect(story?.connection == "SMTP-2")
        // The bounce's own queue id: the queue line about the sender after the DSN line.
        #expect(story?.bounceQueueIDs == ["S.DSN1"])
        // The connection's lines from its own `connected` (not the earlier SMTP-2) to its end.
        #expect(story?.lines.first == "2026-11-29T03:00:00.000Z 2 SMTP-2 127.0.0.2 connected to 127.0.0.1:2525")
        #expect(story?.lines.contains { $0.contains("later.test") } == false)
        #expect(story?.lines.count == 9)
        let summary = MessageSummary(story!)
        #expect(summary.client == "127.0.0.2")
        #expect(summary.sender == "forged@innocent.test")
        #expect(summary.size == 300)
        #expect(summary.recipients.count == 1)
        #expect(summary.recipients[0].decision == "relayed: client network 127.0.0.2, queued for remote.test")
        #expect(summary.recipients[0].fate == "bounced")
        #expect(summary.bounces.count == 2)
    }

    @Test func bounceQueueIDsAreFollowed() throws {
        let log = Self.log + """

            2026-11-29T04:00:00.000Z 2 QUEUE [S.DSN1] <forged@innocent.test> sent: 127.0.0.1:25 said 250 ok (bounce of S.NET1)
            """
        let story = try withLog(log) { try MessageStory.collect(queueID: "S.NET1", files: [$0]) }
        #expect(story?.bounceQueueIDs == ["S.DSN1"])
        #expect(story?.lines.contains { $0.contains("[S.DSN1] <forged@innocent.test> deferred") } == true)
        let text = ExplainTextRenderer(style: TextStyle(colour: false)).render(story!)
        #expect(text.contains("bounce of S.NET1"))
    }

    @Test func localMessage() throws {
        let story = try withLog(Self.log) { try MessageStory.collect(queueID: "S.LOCAL1", files: [$0]) }
        let summary = MessageSummary(story!)
        #expect(summary.recipients.map(\.fate) == ["delivered locally"])
        #expect(summary.helo.isEmpty)
        let text = ExplainTextRenderer(style: TextStyle(colour: false)).render(story!)
        #expect(text.contains("not logged (the dialogue is logged at level 4)"))
        #expect(text.contains("delivered: local mailbox postmaster@example.test"))
        for line in text.split(separator: "\n") where !line.hasPrefix("2026") { #expect(line.count <= 80, "\(line)") }
    }

    @Test func unknownQueueIDAndMessageIDLookup() throws {
        #expect(try withLog(Self.log) { try MessageStory.collect(queueID: "S.NOPE", files: [$0]) } == nil)
        let log = Self.log + "\n2026-11-29T10:00:00.010Z 2 SMTP-1 [S.LOCAL1] 127.0.0.9 message-id <abc@host.test>"
        #expect(try withLog(log) { try MessageStory.queueID(forMessageID: "<ABC@host.test>", files: [$0]) } == "S.LOCAL1")
        #expect(try withLog(Self.log) { try MessageStory.queueID(forMessageID: "<abc@host.test>", files: [$0]) } == nil)
    }

    @Test func bounceQueueLinesBeforeTheNotificationLine() throws {
        // The runner may try the bounce before the line about sending it is written.
        let log = """
            2026-11-29T03:00:00.100Z 2 SMTP-2 [S.NET1] 127.0.0.2 received 300 bytes from <f@innocent.test> for 1 recipients
            2026-11-29T03:00:00.101Z 2 SMTP-2 [S.NET1] 127.0.0.2 <r@remote.test> relayed: client network 127.0.0.2, queued for remote.test
            2026-11-29T03:00:00.200Z 2 QUEUE [S.NET1] <r@remote.test> bounced: 127.0.0.1: 550 5.1.1 User unknown
            2026-11-29T03:00:00.205Z 2 QUEUE [S.DSN2] <f@innocent.test> bounced: 127.0.0.1: 550 5.1.1 No such user here
            2026-11-29T03:00:00.206Z 2 QUEUE [S.DSN2] bounce undeliverable, discarded: the null sender <> gets no bounce
            2026-11-29T03:00:00.210Z 2 QUEUE [S.NET1] delivery status notification for 1 recipient(s) sent to <f@innocent.test>
            """
        let story = try withLog(log) { try MessageStory.collect(queueID: "S.NET1", files: [$0]) }
        #expect(story?.bounceQueueIDs == ["S.DSN2"])
        #expect(story?.lines.count == 6)
    }
}
