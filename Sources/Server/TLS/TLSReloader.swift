import Logging
import MailStore
import ServiceLifecycle

/// Reloads the certificate when its files change (checked every
/// `interval`), so that a certificate renewed by an ACME client is in use
/// within seconds; SIGHUP reloads it at once (`HangupReloader`). The
/// `stat` calls and the reading of the files run on the storage pool, not
/// on an event loop.
struct TLSReloader: Service {
    let tls: ServerTLS
    let storage: any BlockingWorkRunner
    let logger: Logger
    var interval: Duration = .seconds(10)

    func run() async throws {
        await cancelWhenGracefulShutdown {
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
    }
}
