import ArgumentParser
import Foundation
import NIOCore
import Operator

/// `sims check-relay`: test any SMTP server for open relay with the classic
/// tricks, stopping after RCPT so that no mail is ever sent.
struct CheckRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-relay",
        abstract: "Test an SMTP server for open relay, stopping after RCPT.",
        usage: """
            sims check-relay <server> [--from <from>] [--to-domain <to-domain>]
                 [--local-domain <local-domain>] [--helo <helo>]
                 [--timeout <timeout>] [--format <format>]
            """,
        discussion: """
            Plays \(RelayTrickBattery(external: "e", local: "l", hostname: "h", address: "a", sender: nil).tricks.count) \
            MAIL FROM/RCPT TO pairs (the nmap smtp-open-relay set, the abuse.net forms: % hack, bang paths, \
            source routes, quoted local parts, address literals, null and spoofed local senders, spelling \
            variants), each followed by RSET, on as many connections as the server needs. DATA is never sent.

            The relay target (--to-domain) must be a domain the tested server does not receive mail for. The \
            server's own domain comes from its greeting (mx.example.org -> example.org) unless --local-domain \
            is given. Test from the outside: from an address in the server's client networks a relay is expected.

            A server that accepts RCPT and refuses only after DATA is reported as ACCEPTED: it would still \
            produce bounces to forged senders (backscatter).

            Exit status: 0 every trick refused, 1 open relay (a trick accepted), 2 could not test.
            """)

    @Argument(help: "The server to test: host:port (port 25 when left out), [v6 address]:port.")
    var server: String

    @Option(help: "The sender of the ordinary tricks (default relay-check@ the --to-domain).")
    var from: String?

    @Option(help: "The relay target: a domain that is not the tested server's.")
    var toDomain: String = "example.com"

    @Option(help: "The tested server's own mail domain (default: from its greeting).")
    var localDomain: String?

    @Option(help: "The name to give in EHLO (default: this machine's name if it has a dot).")
    var helo: String?

    @Option(help: "Seconds to wait for each reply.")
    var timeout: Double = 30

    @Option(help: "text or json.")
    var format: DNSBLCommand.OutputFormat = .text

    func validate() throws {
        guard timeout > 0 && timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds") }
        guard target != nil else { throw ValidationError("give the server as host:port") }
        for value in [from, toDomain, localDomain, helo].compactMap({ $0 }) where value.contains(where: { $0.isWhitespace }) {
            throw ValidationError("\(value.debugDescription) contains white space")
        }
    }

    /// Host and port from `host:port`, `host`, `[v6]:port`, `v6`.
    var target: (host: String, port: Int)? {
        let text = server.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, 25) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return nil }
            return (host, port)
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1, let colon = text.firstIndex(of: ":") {
            guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port), colon != text.startIndex
            else { return nil }
            return (String(text[..<colon]), port)
        }
        return text.isEmpty ? nil : (text, 25)
    }

    func run() async throws {
        let (host, port) = target!
        let client = RelayCheckClient(host: host, port: port, replyTimeout: .nanoseconds(Int64(timeout * 1e9)))
        let settings = RelayProbe.Settings(
            helo: helo ?? Self.defaultHelo(), external: toDomain.lowercased(), sender: from, localDomain: localDomain)
        let report = await client.run(settings)
        let colour = isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        print(format == .json ? report.json(server: server) : report.text(server: server, colour: colour), terminator: "")
        throw ExitCode(report.exitStatus)
    }

    /// This machine's name when it is fully qualified (servers may refuse a
    /// bare one in HELO); otherwise a name under example.net.
    static func defaultHelo() -> String {
        let name = ProcessInfo.processInfo.hostName
        return name.contains(".") && !name.hasSuffix(".local") ? name : "relay-check.example.net"
    }
}
