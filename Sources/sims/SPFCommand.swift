import AntiSpam
import ArgumentParser
import DNS
import Foundation
import MailCore
import NIOCore

/// `sims spf`: evaluates SPF (RFC 7208) the way the SMTP server does, so an
/// operator can see why a sender passes or fails, and the conformance suite
/// can drive the evaluator through the real resolver in one process.
struct SPFCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spf",
        abstract: "Evaluate SPF (RFC 7208) for a client address and sender.",
        usage: """
            sims spf [<ip>] [<sender>] [--helo <helo>] [--receiver <receiver>]
                 [--dns <dns> ...] [--dns-timeout <dns-timeout>]
                 [--dns-attempts <dns-attempts>] [--batch]
            """,
        discussion: """
            With --batch, reads JSON lines {"id":…, "ip":…, "mailfrom":…, "helo":…} on standard input and \
            writes {"id":…, "result":…, "mechanism":…, "problem":…, "explanation":…} lines on standard output.
            """)

    @Argument(help: "The client's IP address.")
    var ip: String?

    @Argument(help: "The MAIL FROM address (\"\" for a bounce: postmaster@HELO is checked).")
    var sender: String?

    @Option(help: "The HELO/EHLO name the client gave.")
    var helo: String = "unknown"

    @Option(help: "This host's name, for %{r} and the Received-SPF header.")
    var receiver: String = "unknown"

    @Option(name: .customLong("dns"), help: "A DNS server as ADDRESS:PORT (repeatable; default: /etc/resolv.conf).")
    var servers: [String] = []

    @Option(name: .customLong("dns-timeout"), help: "Seconds to wait for each DNS reply.")
    var dnsTimeout: Double = 2

    @Option(name: .customLong("dns-attempts"), help: "How many times the server list is tried.")
    var dnsAttempts: Int = 2

    @Flag(help: "Read JSON lines on standard input, write one JSON result per line.")
    var batch = false

    func validate() throws {
        if !batch && (ip == nil || sender == nil) { throw ValidationError("give IP and SENDER, or --batch") }
        if let ip, MailCore.IPAddress(ip) == nil { throw ValidationError("\(ip.debugDescription) is not an IP address") }
        guard dnsTimeout > 0, dnsAttempts > 0 else { throw ValidationError("--dns-timeout and --dns-attempts must be positive") }
    }

    func run() async throws {
        let evaluator = makeEvaluator()
        if batch {
            try await runBatch(evaluator)
            return
        }
        let ip = ip ?? "", sender = sender ?? ""
        let outcome = await evaluator.evaluate(ip: ip, mailFrom: sender, helo: helo)
        print("result: \(outcome.result)")
        if let mechanism = outcome.mechanism { print("mechanism: \(mechanism)") }
        if let problem = outcome.problem { print("problem: \(problem)") }
        if let explanation = outcome.explanation { print("explanation: \(explanation)") }
        print("domain: \(outcome.domain)")
        print(outcome.receivedSPFHeader(clientIP: ip, envelopeFrom: sender, helo: helo, receiver: receiver), terminator: "")
        print("Authentication-Results: \(receiver); \(outcome.authenticationResult)")
    }

    private func makeEvaluator() -> SPFEvaluator {
        let list = servers.isEmpty ? StubResolver.systemServers() : servers
        let resolver = StubResolver(
            servers: list, timeout: .milliseconds(Int64(dnsTimeout * 1000)), attempts: dnsAttempts)
        return SPFEvaluator(resolver: resolver, receiver: receiver)
    }

    /// Evaluates every request concurrently (a DNS timeout in one case does
    /// not hold up the others) and prints results as they finish.
    private func runBatch(_ evaluator: SPFEvaluator) async throws {
        var requests: [(Int, [String: any Sendable])] = []
        while let line = readLine(strippingNewline: true) {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ValidationError("not a JSON object: \(line)")
            }
            let fields: [String: any Sendable] = [
                "id": Self.sendable(object["id"]), "ip": object["ip"] as? String ?? "",
                "mailfrom": object["mailfrom"] as? String ?? "", "helo": object["helo"] as? String ?? "unknown",
            ]
            requests.append((requests.count, fields))
        }
        await withTaskGroup(of: String.self) { group in
            for (_, fields) in requests {
                group.addTask {
                    let outcome = await evaluator.evaluate(
                        ip: fields["ip"] as? String ?? "", mailFrom: fields["mailfrom"] as? String ?? "",
                        helo: fields["helo"] as? String ?? "unknown")
                    var reply: [String: Any] = ["id": fields["id"] ?? NSNull(), "result": outcome.result.rawValue]
                    reply["mechanism"] = outcome.mechanism ?? NSNull()
                    reply["problem"] = outcome.problem ?? NSNull()
                    reply["explanation"] = outcome.explanation ?? NSNull()
                    let data = (try? JSONSerialization.data(withJSONObject: reply, options: [.sortedKeys])) ?? Data()
                    return String(decoding: data, as: UTF8.self)
                }
            }
            for await line in group { print(line) }
        }
    }

    /// Keeps a JSON id (string or number) in a Sendable form.
    private static func sendable(_ value: Any?) -> any Sendable {
        if let text = value as? String { return text }
        if let number = value as? NSNumber {
            return number.doubleValue == number.doubleValue.rounded() ? number.intValue : number.doubleValue
        }
        return NSNull()
    }
}
