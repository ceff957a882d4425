import Configuration
import Foundation
import Logging
import MailCore
import MailStore
import Policy
import ServiceLifecycle
import UnixSignals

/// SIGHUP: the one owner of the signal. It reopens the log file (for
/// logrotate), reads sims.toml again and applies what may change live
/// (`LiveReload`: client networks and log levels; the rest is named as
/// waiting for a restart), and re-reads the certificate files and anything
/// registered in `extraReloads` (the DKIM keys). A file that does not load
/// changes nothing: the server keeps every setting it runs with and says why.
struct HangupReloader: Service {
    /// Trapped before the server says it is ready (`MailServer.run`), so a
    /// SIGHUP right after "ready" is queued here, never the default action
    /// (which ends the process).
    let signals: UnixSignalsSequence
    let dataDirectory: DataDirectory
    let logs: LogFactory
    let clientNetworks: ClientNetworks
    let gateways: GatewayAddresses
    let tls: ServerTLS
    let storage: any BlockingWorkRunner
    /// Other things to re-read; each returns a line for the log, or nil.
    var extraReloads: [@Sendable () -> String?] = []

    func run() async throws {
        let logger = logs.logger(.system)
        // What the server runs with, as text per key, to name changes.
        let started = (try? await storage.run { [dataDirectory] in Self.readKeys(dataDirectory) }) ?? nil
        await cancelWhenGracefulShutdown {
            var running = started
            for await _ in signals {
                logs.sink.reopen()
                running = await reload(running: running, logger: logger)
            }
        }
    }

    private static func readKeys(_ dataDirectory: DataDirectory) -> [String: String]? {
        (try? String(contentsOfFile: dataDirectory.configurationFile, encoding: .utf8)).flatMap(LiveReload.flatten)
    }

    /// One reload; returns the new baseline.
    private func reload(running: [String: String]?, logger: Logger) async -> [String: String]? {
        let loaded = try? await storage.run { [dataDirectory] () -> Result<(ServerConfiguration, [String: String]), any Error> in
            do {
                let configuration = try dataDirectory.loadConfiguration()
                return .success((configuration, Self.readKeys(dataDirectory) ?? [:]))
            } catch {
                return .failure(error)
            }
        }
        var baseline = running
        var summary: [String] = []
        switch loaded {
        case .success((let configuration, let keys)):
            let plan = LiveReload.plan(running: running ?? [:], file: keys)
            baseline = plan.baseline
            if clientNetworks.replace(with: configuration.clientNetworks) {
                let list = configuration.clientNetworks.map(\.description).joined(separator: ", ")
                logger.notice("relay.client_networks is now [\(list)]")
                for warning in ConfigurationWarnings.check(configuration, gateways: Array(gateways.current)) {
                    logger.notice("warning: \(warning)")
                }
            }
            logs.apply(defaultLevel: configuration.log.level, moduleLevels: configuration.log.modules)
            summary.append(plan.applied.isEmpty ? "no live setting changed" : "applied \(plan.applied.joined(separator: ", "))")
            if !plan.waiting.isEmpty {
                logger.notice("sims.toml: \(plan.waiting.joined(separator: ", ")) changed; that takes effect at the next restart")
                summary.append("\(plan.waiting.count) change(s) wait for a restart")
            }
        case .failure(let error):
            logger.error("sims.toml not reloaded, every setting stays as it was: \(error)")
            summary.append("sims.toml not reloaded")
        case nil:
            summary.append("sims.toml not reloaded (stopping)")
        }
        let certificate = (try? await storage.run { [tls, logger] in tls.reload(logger: logger) }) ?? false
        summary.append(certificate ? "certificate reloaded from \(tls.certificatePath)" : "certificate unchanged")
        for extra in extraReloads {
            if let line = try? await storage.run(extra) { summary.append(line) }
        }
        logger.notice("SIGHUP: log file reopened; \(summary.joined(separator: "; "))")
        return baseline
    }
}
