import Logging
import MailStore
import ServiceLifecycle

/// Keeps the directory's in-memory snapshot current: every `interval`, on
/// the storage pool, two `stat` calls and (after a change, or every two
/// seconds) a read of the database. The SMTP driver answers known
/// recipients from that snapshot without leaving its event loop
/// (`Directory.resolveFromMemory`), so a removed account or a changed alias
/// is seen within about a second; additions are seen at once, because a
/// recipient the snapshot does not know is always confirmed on the pool.
struct DirectoryRefresher: Service {
    let directory: Directory
    let storage: any BlockingWorkRunner
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                do {
                    try await storage.run { [directory] in try directory.refresh() }
                    if failing { logger.notice("directory readable again") }
                    failing = false
                } catch is CancellationError {
                    // The stop, not an outage: the pool refused new work.
                    break
                } catch {
                    // Once per outage, not once a second.
                    if !failing { logger.error("directory refresh failed (recipients are looked up directly): \(error)") }
                    failing = true
                }
            }
        }
    }
}
