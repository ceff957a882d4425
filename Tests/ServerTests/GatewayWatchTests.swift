import Configuration
import Foundation
import Logging
import MailCore
import MailStore
import Policy
import Synchronization
import Testing

@testable import Server

/// Keeps every message logged, for tests that read the log's words.
private final class Lines: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger { Logger(label: "test") { _ in Handler(lines: self) } }

    struct Handler: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { lines.lines.withLock { $0.append("\(event.message)") } }
    }
}

@Suite("GatewayWatch: the default gateways in memory, logged at startup and when they change")
struct GatewayWatchTests {
    func route(_ gateway: String) -> String {
        let octets = IPAddress(gateway)?.octets ?? []
        let word = octets.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        return "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            + "eth0\t00000000\t\(String(format: "%08X", word))\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
    }

    @Test("Read at startup (logged even when none), again on refresh, logged only when changed")
    func refresh() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gw-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = Lines()
        let gateways = GatewayAddresses()
        let watch = GatewayWatch(
            gateways: gateways, storage: RunOnCallingThread(), logger: log.logger, directory: directory)

        await watch.refresh(always: true)
        #expect(gateways.current.isEmpty)
        #expect(log.lines.withLock { $0 } == ["default gateways: none"])

        try route("192.168.1.1").write(toFile: directory + "/route", atomically: true, encoding: .utf8)
        await watch.refresh()
        #expect(gateways.current == [IPAddress("192.168.1.1")])
        await watch.refresh()
        let lines = log.lines.withLock { $0 }
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.last?.hasPrefix("default gateways: 192.168.1.1 (") == true)

        try route("10.0.0.1").write(toFile: directory + "/route", atomically: true, encoding: .utf8)
        await watch.refresh()
        #expect(gateways.current == [IPAddress("10.0.0.1")])
        #expect(log.lines.withLock { $0 }.last?.hasPrefix("default gateways: 10.0.0.1 (") == true)
    }
}
