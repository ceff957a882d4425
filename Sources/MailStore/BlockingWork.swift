import NIOPosix
import Synchronization

/// Runs blocking work (file I/O, fsync, syncfs, SQLite, waits on a
/// condition variable) where it may block: the server's storage thread pool.
///
/// Swift Concurrency runs on NIO's event-loop threads in `sims serve`, so an
/// `async` function that calls a blocking primitive directly stalls every
/// connection on that loop. Modules below the server (`Queue`) take one of
/// these instead of depending on the server's pool.
public protocol BlockingWorkRunner: Sendable {
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T
}

/// Runs the work on the calling thread: for tests and the one-shot command
/// line tools, whose threads may block. Never for the server.
public struct RunOnCallingThread: BlockingWorkRunner {
    public init() {}

    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try work()
    }
}

/// The debug-build check that a blocking primitive is not running on an
/// event loop.
///
/// It asks NIO (`MultiThreadedEventLoopGroup.currentEventLoop`) rather than
/// keeping a thread-local flag of our own: the event-loop threads are NIO's,
/// created before any of our code runs, and only NIO knows them all (the
/// singleton group that is Swift's global executor included). The check is
/// on by default, in the server and in every test; the one-shot
/// command-line tools (`sims doctor`, `sims queue list`), which read a few
/// files on a loop that serves nobody, switch it off (`tolerateEventLoops()`).
public enum BlockingWork {
    private static let tolerated = Atomic<Bool>(false)

    /// For a process that serves nobody: blocking on its event loops is allowed.
    public static func tolerateEventLoops() {
        tolerated.store(true, ordering: .relaxed)
    }

    /// True when blocking here would stall an event loop the server needs.
    public static var isForbiddenOnThisThread: Bool {
        MultiThreadedEventLoopGroup.currentEventLoop != nil && !tolerated.load(ordering: .relaxed)
    }

    /// Called at the top of every blocking primitive. Free in release builds.
    @inline(__always)
    public static func assertMayBlock(_ what: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
        assert(!isForbiddenOnThisThread, "blocking call on an event loop: \(what())", file: file, line: line)
    }
}
