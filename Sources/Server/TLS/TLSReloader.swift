import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the certificate on SIGHUP, and when its files change (checked
/// every `interval`), so that a certificate renewed by an ACME client is in
/// use within seconds.
struct TLSReloader: Service {
    let tls: ServerTLS
    let logger: Logger
    var interval: Duration = .seconds(10)

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in signals {
                        if tls.reload(logger: logger) {
                            logger.notice("TLS certificate reloaded (SIGHUP) from \(tls.certificatePath)")
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        if tls.filesChanged, tls.reload(logger: logger) {
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
