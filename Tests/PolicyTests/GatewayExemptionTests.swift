import AntiSpam
import DNS
import Logging
import MailCore
import SMTPProtocol
import Synchronization
import Testing

@testable import Policy

/// Nothing exists: every name is NXDOMAIN.
private struct EmptyResolver: DNSResolving {
    func mx(_ name: String) async throws(DNSError) -> [MXRecord] { throw .nameDoesNotExist(name) }
    func a(_ name: String) async throws(DNSError) -> [String] { throw .nameDoesNotExist(name) }
    func aaaa(_ name: String) async throws(DNSError) -> [String] { throw .nameDoesNotExist(name) }
    func txt(_ name: String) async throws(DNSError) -> [String] { throw .nameDoesNotExist(name) }
    func ptr(_ address: String) async throws(DNSError) -> [String] { [] }
}

/// Keeps every message logged, for tests that read the log's words.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "test") { _ in CapturingHandler(log: self) }
    }

    struct CapturingHandler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.lines.withLock { $0.append("\(event.message)") }
        }
    }
}

@Suite("SMTPPolicy: this host's default gateway is no trusted client unless listed alone")
struct GatewayExemptionTests {
    func policy(clientNetworks: [String], exempt: [String] = []) -> SMTPPolicy {
        var options = AntiSpamOptions()
        options.exemptNetworks = exempt.compactMap(IPAddressRange.init)
        options.verifyReturnPath = false
        options.spf = .off
        options.heloMode = .reject
        return SMTPPolicy(
            options: options, hostname: "mx.example.test", clientNetworks: clientNetworks.compactMap(IPAddressRange.init),
            resolver: EmptyResolver(), localDomains: { ["example.test"] }, ourAddresses: ["192.0.2.1"],
            gateways: GatewayAddresses(Set([IPAddress("192.168.1.1")].compactMap { $0 })))
    }

    func exempt(_ policy: SMTPPolicy, _ client: String) async -> Bool {
        let state = PolicyState()
        _ = await policy.checkConnect(state, client: client, submission: false, logger: Logger(label: "test"))
        return state.exempt
    }

    @Test("Covered by a client network or an exempt network, the gateway is checked like an outsider")
    func coveredGatewayChecked() async throws {
        let lan = policy(clientNetworks: ["192.168.1.0/24"], exempt: ["192.168.0.0/16"])
        #expect(await exempt(lan, "192.168.1.7"))
        #expect(!(await exempt(lan, "192.168.1.1")))
        // Its checks run: a HELO claiming our name is refused, and its
        // message gets Authentication-Results like any outsider's.
        let state = PolicyState()
        let logger = Logger(label: "test")
        _ = await lan.checkConnect(state, client: "192.168.1.1", submission: false, logger: logger)
        guard case .reject = await lan.checkHello("mx.example.test", state: state, client: "192.168.1.1", logger: logger) else {
            Issue.record("the gateway's HELO was not checked")
            return
        }
        let sender = EnvelopePath.mailbox(Mailbox(localPart: "bob", domain: .name("remote.test")))
        #expect(
            lan.headers(state: state, user: nil, client: "192.168.1.1", helloName: "x", reversePath: sender)
                .hasPrefix("Authentication-Results: mx.example.test"))
        let trusted = PolicyState()
        _ = await lan.checkConnect(trusted, client: "192.168.1.7", submission: false, logger: logger)
        #expect(lan.headers(state: trusted, user: nil, client: "192.168.1.7", helloName: "x", reversePath: sender).isEmpty)
    }

    @Test("Listed alone in client_networks or exempt_networks, the gateway is trusted")
    func explicitGatewayTrusted() async {
        #expect(await exempt(policy(clientNetworks: ["192.168.1.0/24", "192.168.1.1"]), "192.168.1.1"))
        #expect(await exempt(policy(clientNetworks: [], exempt: ["192.168.1.1/32"]), "192.168.1.1"))
    }

    @Test("Loopback stays exempt by default")
    func loopback() async {
        var options = AntiSpamOptions()
        options.spf = .off
        let policy = SMTPPolicy(
            options: options, hostname: "mx.example.test", clientNetworks: [], resolver: EmptyResolver(),
            localDomains: { [] }, ourAddresses: [], gateways: GatewayAddresses(Set([IPAddress("192.168.1.1")].compactMap { $0 })))
        #expect(await exempt(policy, "127.0.0.1"))
    }

    @Test("A refused return path is logged with one 'return path' prefix, not two")
    func returnPathPrefixOnce() async throws {
        var options = AntiSpamOptions()
        options.exemptNetworks = []
        options.verifyReturnPath = true
        options.spf = .off
        options.heloMode = nil
        let policy = SMTPPolicy(
            options: options, hostname: "mx.example.test", clientNetworks: [], resolver: EmptyResolver(),
            localDomains: { [] }, ourAddresses: [])
        let log = CapturedLog()
        let state = PolicyState()
        _ = await policy.checkConnect(state, client: "203.0.113.5", submission: false, logger: log.logger)
        let sender = EnvelopePath.mailbox(Mailbox(localPart: "bob", domain: .name("nowhere.test")))
        let transaction = MailTransaction(id: QueueID(rawValue: "S.TEST"), reversePath: sender, parameters: MailParameters())
        let verdict = await policy.checkSender(
            transaction, helloName: "client.test", user: nil, state: state, client: "203.0.113.5", logger: log.logger)
        guard case .reject = verdict else {
            Issue.record("a sender domain that does not exist was accepted")
            return
        }
        let line = log.lines.withLock { $0 }.first { $0.hasPrefix("refused: return path") }
        #expect(line == "refused: return path <bob@nowhere.test>: nowhere.test does not exist (NXDOMAIN), refused")
        #expect(state.summary.components(separatedBy: "return").count == 2, "\(state.summary)")
    }
}
