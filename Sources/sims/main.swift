import ArgumentParser
import NIOCore
import NIOPosix

// Run Swift Concurrency's jobs on NIO's event-loop threads instead of a
// separate pool: a session's task then continues on the threads that do its
// I/O, without a thread switch for every command (measured in bench/).
// Must happen on the main thread, before any task starts.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

/// What @main would do for an AsyncParsableCommand. It lives in an async
/// function because in top-level code overload resolution picks the
/// synchronous `run()`, which cannot run `serve`.
func runSims() async {
    do {
        var command = try SimsCommand.parseAsRoot()
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
    } catch {
        SimsCommand.exit(withError: error)
    }
}

await runSims()
