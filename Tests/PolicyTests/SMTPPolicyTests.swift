import AntiSpam
import DNS
import Logging
import MailCore
import SMTPProtocol
import Testing

@testable import Policy

/// Answers A queries from a table; everything else does not exist.
private struct TableResolver: DNSResolving {
    var addresses: [String: [String]]
    func mx(_ name: String) async throws(DNSError) -> [MXRecord] { throw .nameDoesNotExist(name) }
    func a(_ name: String) async throws(DNSError) -> [String] {
        guard let found = addresses[name] else { throw .nameDoesNotExist(name) }
        return found
    }
    func aaaa(_ name: String) async throws(DNSError) -> [String] { [] }
    func txt(_ name: String) async throws(DNSError) -> [String] { throw .nameDoesNotExist(name) }
    func ptr(_ address: String) async throws(DNSError) -> [String] { [] }
}

@Suite("SMTP policy across one connection")
struct SMTPPolicyTests {
    func policy(_ configure: (inout AntiSpamOptions) -> Void) -> SMTPPolicy {
        var options = AntiSpamOptions()
        options.exemptNetworks = []
        options.verifyReturnPath = false
        options.spf = .off
        configure(&options)
        return SMTPPolicy(
            options: options, hostname: "mx.example.test", clientNetworks: [],
            resolver: TableResolver(addresses: ["elsewhere.test": ["192.0.2.99"]]), localDomains: { ["example.test"] },
            ourAddresses: ["192.0.2.1"])
    }

    func transaction(_ sender: String) throws -> MailTransaction {
        let path = EnvelopePath.mailbox(try PathParser.parseMailbox(Substring(sender), allowUTF8: false))
        return MailTransaction(id: QueueID(rawValue: "S.TEST"), reversePath: path, parameters: MailParameters())
    }

    @Test("EHLO again after STARTTLS does not count a HELO mismatch twice")
    func heloScoredOnce() async throws {
        let policy = policy {
            $0.heloMode = .score
            $0.scoreReject = 2
        }
        let state = PolicyState()
        let logger = Logger(label: "test")
        #expect(await policy.checkConnect(state, client: "203.0.113.5", submission: false, logger: logger) == nil)
        for _ in 0..<2 {
            #expect(await policy.checkHello("elsewhere.test", state: state, client: "203.0.113.5", logger: logger) == .accept)
        }
        #expect(state.score.total == 1)
        let verdict = await policy.checkSender(
            try transaction("bob@remote.test"), helloName: "elsewhere.test", user: nil, state: state, client: "203.0.113.5",
            logger: logger)
        #expect(verdict == .accept)
    }

    @Test("A client network, an exempt network and a submission port are not checked")
    func trustedClients() async {
        let policy = policy { $0.exemptNetworks = [IPAddressRange("198.51.100.0/24")!] }
        let logger = Logger(label: "test")
        for (client, submission) in [("198.51.100.7", false), ("203.0.113.5", true)] {
            let state = PolicyState()
            _ = await policy.checkConnect(state, client: client, submission: submission, logger: logger)
            #expect(state.exempt)
            #expect(await policy.checkHello("mx.example.test", state: state, client: client, logger: logger) == .accept)
        }
        let stranger = PolicyState()
        _ = await policy.checkConnect(stranger, client: "203.0.113.5", submission: false, logger: logger)
        guard
            case .reject(let reply) = await policy.checkHello(
                "mx.example.test", state: stranger, client: "203.0.113.5", logger: logger)
        else {
            Issue.record("a stranger claiming our name was accepted")
            return
        }
        #expect(reply.code == 550)
    }
}
