import NIOCore
import NIOEmbedded
import Testing

@testable import Server

/// Counts the change notices that reach a session's pipeline.
private final class NoticeCounter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Never
    var notices = 0

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is MailboxChangedEvent { notices += 1 }
    }
}

@Suite("IMAP change notices")
struct MailboxNotifierTests {
    @Test("a session gets one notice until it takes it; the one that made the change gets none; the limit holds")
    func coalesced() throws {
        let notifier = MailboxNotifier()
        let reader = EmbeddedChannel()
        let writer = EmbeddedChannel()
        let counter = NoticeCounter()
        try reader.pipeline.syncOperations.addHandler(counter)
        #expect(notifier.register(reader, account: "alice@example.test", limit: 2))
        #expect(notifier.register(writer, account: "alice@example.test", limit: 2))
        #expect(!notifier.register(EmbeddedChannel(), account: "alice@example.test", limit: 2))
        for _ in 0..<1000 { notifier.changed(["alice@example.test"], except: writer) }
        #expect(counter.notices == 1)
        notifier.taken(by: reader, account: "alice@example.test")
        notifier.changed(["alice@example.test"])
        #expect(counter.notices == 2)
        notifier.unregister(reader, account: "alice@example.test")
        notifier.changed(["alice@example.test"])
        #expect(counter.notices == 2)
    }
}
