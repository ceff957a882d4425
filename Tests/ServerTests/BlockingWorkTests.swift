import MailStore
import NIOCore
import NIOPosix
import Testing

@testable import Server

/// The debug assertion in the blocking primitives (`BlockingWork.assertMayBlock`)
/// stops the process; these tests check the predicate it asserts, which a
/// test can call without crashing.
@Suite("Blocking work stays off the event loops")
struct BlockingWorkTests {
    @Test("Blocking is forbidden on an event-loop thread and allowed on the storage pool and on plain threads")
    func predicate() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let onLoop = try await group.next().submit { BlockingWork.isForbiddenOnThisThread }.get()
        let onPool = try await pool.runIfActive { BlockingWork.isForbiddenOnThisThread }
        let onSingleton = try await MultiThreadedEventLoopGroup.singleton.next().submit {
            BlockingWork.isForbiddenOnThisThread
        }.get()
        try await pool.shutdownGracefully()
        try await group.shutdownGracefully()
        #expect(onLoop, "an event loop of any group")
        #expect(onSingleton, "the singleton group, which is Swift's global executor in sims serve")
        #expect(!onPool)
        #expect(!BlockingWork.isForbiddenOnThisThread, "a test's own thread")
    }

    @Test("LocalDelivery.run, the server's BlockingWorkRunner, runs the work off the event loop")
    func storagePoolRunner() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let delivery = LocalDelivery(writer: MaildirWriter(mailRoot: "/nonexistent", hostname: "test"), threadPool: pool)
        let runner: any BlockingWorkRunner = delivery
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        // Called from an event loop, as every async function in sims serve is.
        let forbidden = try await loop.makeFutureWithTask {
            try await runner.run { BlockingWork.isForbiddenOnThisThread }
        }.get()
        try await pool.shutdownGracefully()
        #expect(!forbidden)
    }
}
