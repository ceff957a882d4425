import Configuration
import Logging
import MailCore
import MailStore
import Policy
import ServiceLifecycle

/// Keeps `GatewayAddresses` current: reads the route table at startup and
/// every `interval` on the storage pool (a file read never runs on an event
/// loop), and logs the gateways when they change. The relay decision and
/// the anti-spam exemption read the in-memory set.
///
/// The log line (`default gateways: 192.168.1.1, fd00::1`, SYSTEM, level 2)
/// is what `sims audit` reads to flag relays from a gateway.
struct GatewayWatch: Service {
    let gateways: GatewayAddresses
    let storage: any BlockingWorkRunner
    let logger: Logger
    var directory = RouteTable.directory
    var interval: Duration = .seconds(30)

    /// Reads the route table once; logs the gateways when they differ from
    /// what was known (`always`: at startup, also when there are none).
    func refresh(always: Bool = false) async {
        let directory = self.directory
        guard let found = try? await storage.run({ RouteTable.read(from: directory) }) else { return }
        if gateways.replace(with: Set(found)) || always {
            logger.notice("\(RouteTable.logLine(found))")
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { return }
                await refresh()
            }
        }
    }
}
