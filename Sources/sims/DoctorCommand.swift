import ArgumentParser
import Configuration
import DNS
import Foundation
import Operator

/// `sims doctor`: checks the configuration and the world around it, and
/// says for each finding how serious it is and what to do.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the configuration and the world around it.",
        usage: """
            sims doctor [--data <data>] [--format <format>] [--dns <addr:port> ...]
                 [--dns-timeout <dns-timeout>] [--offline]
            """,
        discussion: """
            Checks sims.toml (client networks and the NAT trap, POP-before-SMTP, plaintext POP3), the TLS \
            certificate, the hostname's A/AAAA and PTR records, each local domain's MX, SPF and DMARC records, \
            the queue, disk space and the log level. Each finding has a severity (critical, warning, advice, \
            ok) and a fix.

            DNS questions run at once, each with a short timeout; one without an answer is reported as \
            "could not check", not as a problem. --offline asks none.

            Exit status: 0 when there is nothing critical and no warning, 1 otherwise.
            """)

    @OptionGroup var options: DataOption

    @Option(help: "text or json.")
    var format: Format = .text

    @Option(
        help: ArgumentHelp(
            "A DNS server (address:port); repeatable. Default: delivery.dns_servers, then /etc/resolv.conf.",
            valueName: "addr:port"))
    var dns: [String] = []

    @Option(help: "Seconds to wait for each DNS reply.")
    var dnsTimeout: Double = 2

    @Flag(help: "Skip every DNS check.")
    var offline = false

    enum Format: String, ExpressibleByArgument {
        case text, json
    }

    func validate() throws {
        guard dnsTimeout > 0 && dnsTimeout <= 30 else { throw ValidationError("--dns-timeout must be between 0 and 30 seconds") }
        if let bad = dns.first(where: { DNSServerList.socketAddress($0) == nil }) {
            throw ValidationError("--dns \(bad): expected an IP address and port (127.0.0.1:53, [::1]:53)")
        }
    }

    func run() async throws {
        let dataDirectory = DataDirectory(options.data)
        var gatherer = DoctorGatherer(dataDirectory: dataDirectory, dns: nil)
        if !offline {
            let configured = dataDirectory.exists ? (try? dataDirectory.loadConfiguration())?.delivery.dnsServers ?? [] : []
            let servers = !dns.isEmpty ? dns : !configured.isEmpty ? configured : StubResolver.systemServers()
            let timeout = Duration.milliseconds(Int64(dnsTimeout * 1000))
            let resolver = StubResolver(servers: servers, timeout: .seconds(dnsTimeout), attempts: 2)
            // Two tries per server fit in the budget when there is one server;
            // with more, a server that stays silent is left behind.
            gatherer.dns = DoctorDNSGatherer(resolver: resolver, budget: timeout * 2)
        }
        let report = DoctorCheck.report(await gatherer.gather())
        switch format {
        case .json: print(report.json(), terminator: "")
        case .text:
            let colour =
                isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
                && ProcessInfo.processInfo.environment["TERM"] != "dumb"
            print(report.text(colour: colour), terminator: "")
        }
        throw ExitCode(report.exitStatus)
    }
}
