import Logging
import MailStore
import ServiceLifecycle
import UnixSignals

/// Reloads the certificate on SIGHUP, and when its files change (checked
/// every `interval`), so that a certificate renewed by an ACME client is in
/// use within seconds. The `stat` calls and the reading of the files run
/// on the storage pool, not on an event loop.
struct TLSReloader: Service {
    let tls: ServerTLS
    let storage: any BlockingWorkRunner
    let logger: Logger
    var interval: Duration = .seconds(10)

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in signals {
                        if (try? await storage.run { [tls, logger] in tls.reload(logger: logger) }) == true {
                            logger.notice("TLS certificate reloaded (SIGHUP) from \(tls.certificatePath)")
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        let reloaded = try? await storage.run { [tls, logger] in
                            tls.filesChanged && tls.reload(logger: logger)
                        }
                        if reloaded == true {
                            logger.notice("TLS certificate reloaded (files changed) from \(tls.certificatePath)")
                        }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }
}
