import ArgumentParser
import Configuration
import DKIM
import Foundation
import MailCore
import MailStore
import Operator

/// `sims dns-records`: what to publish in the DNS for mail to reach this
/// server and for its mail to be believed, in zone-file form.
struct DNSRecordsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns-records",
        abstract: "Print the DNS records to publish: MX, A/AAAA, SPF, DKIM, DMARC, and the PTR to ask for.",
        discussion: """
            For every local domain, or only DOMAIN. The hostname's addresses come from the SMTP listeners; \
            wildcard listeners (0.0.0.0, [::]) say nothing about the public address: name it with --address. \
            'sims doctor' checks these records against the DNS.
            """)

    @Argument(help: "A local domain (default: all).") var domain: String?
    @Option(name: .customLong("address"), help: "The hostname's public address (repeatable).") var addresses: [String] = []
    @OptionGroup var options: DataOption

    func validate() throws {
        if let bad = addresses.first(where: { IPAddress($0) == nil }) {
            throw ValidationError("--address \(bad): not an IP address")
        }
    }

    func run() throws {
        let (directory, dataDirectory, configuration) = try openDirectory(options)
        let local = try directory.domains().map { $0.name.lowercased() }
        var domains = local
        if let domain {
            guard local.contains(domain.lowercased()) else { throw CommandFailure("\(domain) is not a local domain") }
            domains = [domain.lowercased()]
        }
        let hostname = configuration.hostname
        let keys = PublishedRecords.dkimKeys(DKIMKeyStore(dataDirectory: dataDirectory.root))
        var given = addresses.compactMap { IPAddress($0) }
        var wildcard = false
        if given.isEmpty {
            for listener in configuration.smtpListeners {
                guard let address = IPAddress(listener.host) else { continue }
                if address.octets.allSatisfy({ $0 == 0 }) {
                    wildcard = true
                } else if !Self.isLoopback(address) && !given.contains(address) {
                    given.append(address)
                }
            }
        }
        print("; \(hostname): this server")
        for record in PublishedRecords.host(hostname, addresses: given) { print(record.zoneLine) }
        if given.isEmpty {
            print(
                "; \(hostname). IN A <public IPv4 address>   ("
                    + (wildcard ? "the SMTP listeners are wildcards" : "no public listener address") + "; give it with --address)"
            )
            print("; \(hostname). IN AAAA <public IPv6 address>, if it has one")
        }
        print("; ask the provider of each address for its PTR record (reverse DNS) naming \(hostname):")
        for address in given { print("; \(PublishedRecords.pointer(address, hostname: hostname).zoneLine)") }
        if given.isEmpty { print("; <address in reverse>.in-addr.arpa. IN PTR \(hostname).") }
        for domain in domains {
            print("")
            print("; \(domain)")
            if !keys.contains(where: { $0.domain == domain }) {
                print("; no DKIM key: make one with 'sims dkim generate \(domain)'")
            }
            for record in PublishedRecords.domain(domain, hostname: hostname, keys: keys) { print(record.zoneLine) }
            print("; DMARC: to begin, p=none only collects reports; p=quarantine once they show only your own mail")
        }
    }

    static func isLoopback(_ address: IPAddress) -> Bool {
        address.isIPv4 ? address.octets.first == 127 : address.octets == Array(repeating: 0, count: 15) + [1]
    }
}
