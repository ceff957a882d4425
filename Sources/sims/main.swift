import ArgumentParser
import DNS
import Foundation
import MailStore
import NIOCore
import NIOPosix

// Run Swift Concurrency's jobs on NIO's event-loop threads instead of a
// separate pool: a session's task then continues on the threads that do its
// I/O, without a thread switch for every command (measured in bench/).
// Must happen on the main thread, before any task starts.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

/// What @main would do for an AsyncParsableCommand, with one difference:
/// only a mistake on the command line (parsing, `validate()`) is answered
/// with the usage text; an error while the command runs is printed as
/// `Error: …` alone, in words (`SystemErrorText`), with exit status 1.
/// It lives in an async function because in top-level code overload
/// resolution picks the synchronous `run()`, which cannot run `serve`.
func runSims() async {
    var command: any ParsableCommand
    do {
        command = try SimsCommand.parseAsRoot()
    } catch {
        SimsCommand.exit(withError: error)
    }
    // Only the server has event loops that must never block (checked in
    // debug builds); the other commands serve nobody.
    if !(command is Serve) { BlockingWork.tolerateEventLoops() }
    do {
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
    } catch let failure as ValidationError {
        FileHandle.standardError.write(Data("Error: \(failure.message)\n".utf8))
        Foundation.exit(EXIT_FAILURE)
    } catch let error where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
        // --help, --version, ExitCode, CleanExit: ArgumentParser's own
        // requests, thrown from the help command's run().
        SimsCommand.exit(withError: error)
    } catch {
        FileHandle.standardError.write(Data("Error: \(SystemErrorText.describe(error))\n".utf8))
        Foundation.exit(EXIT_FAILURE)
    }
}

await runSims()
