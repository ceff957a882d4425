import AntiSpam
import ArgumentParser
import DNS
import Foundation
import MailCore
import NIOCore

/// `sims dnsbl`: look an address, or a host name and its addresses, up in
/// DNS blocklists at once, as the multi-list lookup sites do.
struct DNSBLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dnsbl",
        abstract: "Look an address or domain up in DNS blocklists.",
        usage: """
            sims dnsbl <subject> [--lists <zone,zone...> ...]
                 [--domain-lists <zone,zone...> ...] [--dns <addr:port> ...]
                 [--dns-timeout <dns-timeout>] [--format <format>]
            """,
        discussion: """
            An IP address is looked up in address lists; a host name in domain lists, and each of its \
            A/AAAA addresses in address lists.

            Default address lists: \(WellKnownBlocklists.addressLists.map(\.zone).joined(separator: ", ")).
            Default domain lists: \(WellKnownBlocklists.domainLists.map(\.zone).joined(separator: ", ")).
            Giving --lists or --domain-lists replaces both defaults.

            Per list: LISTED (the answers and the TXT reason), not listed, refused (the list answered \
            127.255.255.x: it refuses queries from this resolver, typically a public one) or no answer \
            (timeout, server failure).

            Exit status: 0 not listed anywhere, 1 listed somewhere, 2 no list answered.
            """)

    @Argument(help: "An IPv4/IPv6 address or a host name.")
    var subject: String

    @Option(help: ArgumentHelp("Address lists (DNS zones) to ask, comma-separated.", valueName: "zone,zone..."))
    var lists: [String] = []

    @Option(help: ArgumentHelp("Domain lists (RHSBL zones) to ask, comma-separated.", valueName: "zone,zone..."))
    var domainLists: [String] = []

    @Option(help: ArgumentHelp("A DNS server (address:port); repeatable. Default: /etc/resolv.conf.", valueName: "addr:port"))
    var dns: [String] = []

    @Option(help: "Seconds to wait for each DNS reply (two attempts per server).")
    var dnsTimeout: Double = 2

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    enum OutputFormat: String, ExpressibleByArgument {
        case text, json
    }

    func validate() throws {
        guard dnsTimeout > 0 && dnsTimeout <= 60 else { throw ValidationError("--dns-timeout must be between 0 and 60 seconds") }
        let name = subject.hasSuffix(".") ? Substring(subject.dropLast()) : Substring(subject)
        // 999.1.1.1 has domain syntax, but no top-level domain is numeric:
        // it is a mistyped address, not a host name to look up.
        if MailCore.IPAddress(subject) == nil, let last = name.split(separator: ".").last,
            last.allSatisfy({ $0.isASCII && $0.isNumber })
        {
            throw ValidationError("\(subject.debugDescription) is not a valid IPv4 address (four numbers from 0 to 255)")
        }
        guard MailCore.IPAddress(subject) != nil || DomainSyntax.isValid(name, allowUTF8: false) else {
            throw ValidationError("\(subject.debugDescription) is neither an IP address nor a host name")
        }
    }

    func run() async throws {
        let servers = dns.isEmpty ? StubResolver.systemServers() : dns
        guard !servers.isEmpty else { throw CommandFailure("no DNS server in /etc/resolv.conf: give one with --dns") }
        let resolver = StubResolver(servers: servers, timeout: .seconds(dnsTimeout), attempts: 2)
        var report = await lookUp(resolver)
        await checkTestEntry(&report, resolver)
        let colour = isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        print(format == .json ? report.json() : report.text(colour: colour), terminator: "")
        throw ExitCode(report.exitStatus)
    }

    private func selectedLists() -> [BlocklistConfiguration] {
        let split = { (texts: [String]) in texts.flatMap { $0.split(separator: ",") }.map(String.init).filter { !$0.isEmpty } }
        if lists.isEmpty && domainLists.isEmpty { return WellKnownBlocklists.addressLists + WellKnownBlocklists.domainLists }
        return split(lists).map { WellKnownBlocklists.list(zone: $0, kind: .ip) }
            + split(domainLists).map { WellKnownBlocklists.list(zone: $0, kind: .domain) }
    }

    private func lookUp(_ resolver: StubResolver) async -> BlocklistReport {
        let checker = BlocklistChecker(lists: selectedLists(), resolver: resolver)
        var text = subject.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let address = MailCore.IPAddress(text) { return BlocklistReport(verdicts: await checker.check(address: address)) }

        var verdicts = await checker.check(domain: text)
        var notes: [String] = []
        if checker.lists.contains(where: { $0.kind == .ip }) {
            let name = text
            async let v4 = Self.result { () async throws(DNSError) in try await resolver.a(name) }
            async let v6 = Self.result { () async throws(DNSError) in try await resolver.aaaa(name) }
            var addresses: [String] = []
            for (family, result) in [("A", await v4), ("AAAA", await v6)] {
                switch result {
                case .success(let found): addresses += found
                case .failure(.nameDoesNotExist): notes = ["\(text): no such host name (NXDOMAIN)"]
                case .failure(let error): notes.append("\(text): \(family) lookup failed: \(error)")
                }
            }
            if addresses.isEmpty && notes.isEmpty { notes.append("\(text) has no A or AAAA records") }
            for address in addresses.compactMap(MailCore.IPAddress.init) {
                verdicts += await checker.check(address: address)
            }
        }
        return BlocklistReport(verdicts: verdicts, notes: notes)
    }

    /// RFC 5782 § 5: every IPv4 list MUST list 127.0.0.2. A list that
    /// answers NXDOMAIN for it through this resolver (a public resolver the
    /// list blocks, a filtering or rewriting resolver) says "not listed" to
    /// everything, so those answers are marked unusable instead of clean.
    private func checkTestEntry(_ report: inout BlocklistReport, _ resolver: StubResolver) async {
        let suspects = report.verdicts.filter {
            $0.list.kind == .ip && $0.outcome == .notListed && Self.isIPv4($0.subject)
        }
        guard !suspects.isEmpty, let testEntry = MailCore.IPAddress("127.0.0.2") else { return }
        var byZone: [String: BlocklistConfiguration] = [:]
        for suspect in suspects { byZone[suspect.list.zone] = suspect.list }
        let lists = byZone.keys.sorted().compactMap { byZone[$0] }
        let probes = await BlocklistChecker(lists: lists, resolver: resolver).check(address: testEntry)
        let denying = Set(probes.filter { $0.outcome == .notListed }.map(\.list.zone))
        guard !denying.isEmpty else { return }
        report.unusable = Set(suspects.filter { denying.contains($0.list.zone) })
        report.notes.append(
            "The resolver answers NXDOMAIN for 127.0.0.2 on \(denying.sorted().joined(separator: ", ")): RFC 5782 "
                + "requires every IPv4 list to list that test address, so this resolver is unusable for blocklists "
                + "and its \"not listed\" means nothing. Lists often block public resolvers; ask a resolver of your own "
                + "with --dns.")
    }

    private static func isIPv4(_ text: String) -> Bool {
        text.split(separator: ".").count == 4 && MailCore.IPAddress(text) != nil
    }

    private static func result(_ body: () async throws(DNSError) -> [String]) async -> Result<[String], DNSError> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }
}
