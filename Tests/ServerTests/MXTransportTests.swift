import DNS
import Logging
import MailCore
import Queue
import SMTPClient
import Synchronization
import Testing

@testable import Configuration
@testable import Server

/// MX and address records from tables; names not in them do not exist.
struct MXZoneResolver: DNSResolving {
    var mx: [String: [MXRecord]] = [:]
    var addresses: [String: [String]] = [:]
    func mx(_ name: String) async throws(DNSError) -> [MXRecord] {
        if let records = mx[name] { return records }
        if addresses[name] != nil { return [] }
        throw .nameDoesNotExist(name)
    }
    func a(_ name: String) async throws(DNSError) -> [String] {
        guard let found = addresses[name] else { throw .nameDoesNotExist(name) }
        return found.filter { !$0.contains(":") }
    }
    func aaaa(_ name: String) async throws(DNSError) -> [String] {
        guard let found = addresses[name] else { throw .nameDoesNotExist(name) }
        return found.filter { $0.contains(":") }
    }
    func txt(_ name: String) async throws(DNSError) -> [String] { [] }
    func ptr(_ address: String) async throws(DNSError) -> [String] { [] }
}

/// Records every attempt and answers from a table keyed by address.
final class MXFakeSender: MessageSending {
    struct Attempt: Equatable {
        var address: String
        var port: Int
        var serverName: String?
        var recipients: [String]
    }
    let attempts = Mutex<[Attempt]>([])
    let outcomes: [String: AttemptOutcome]

    init(_ outcomes: [String: AttemptOutcome] = [:]) { self.outcomes = outcomes }

    func send(_ message: [UInt8], envelope: OutboundEnvelope, to host: String, port: Int, serverName: String?) async
        -> AttemptOutcome
    {
        attempts.withLock {
            $0.append(Attempt(address: host, port: port, serverName: serverName, recipients: envelope.recipients))
        }
        if let outcome = outcomes[host] { return outcome }
        let accepted = Dictionary(
            envelope.recipients.map { ($0, SMTPReply(250, .init(2, 0, 0), "OK")) }, uniquingKeysWith: { first, _ in first })
        return .transaction(recipientReplies: accepted, remote: "[\(host)]:\(port)")
    }
    func shutdown() async {}
    var addresses: [String] { attempts.withLock { $0.map(\.address) } }
}

@Suite("MXTransport: routes, relay host, MX, loops, mixed results")
struct MXTransportTests {
    static let publicMX = MXZoneResolver(
        mx: [
            "remote.test": [
                MXRecord(preference: 10, exchange: "mx1.remote.test"), MXRecord(preference: 20, exchange: "mx2.remote.test"),
            ],
            "backup.test": [
                MXRecord(preference: 10, exchange: "primary.backup.test"), MXRecord(preference: 20, exchange: "mx.example.test"),
            ],
            "ours-only.test": [MXRecord(preference: 10, exchange: "mx.example.test")],
            "null.test": [MXRecord(preference: 0, exchange: ".")],
        ],
        addresses: [
            "mx1.remote.test": ["198.51.100.10"], "mx2.remote.test": ["198.51.100.20", "2001:db8::20"],
            "primary.backup.test": ["198.51.100.30"], "mx.example.test": ["203.0.113.25"], "smarthost.test": ["198.51.100.99"],
            "loopback.test": ["127.0.0.1"],
        ])

    static let wildcard = [ListenAddress(host: "0.0.0.0", port: 25), ListenAddress(host: "::", port: 25)]

    func transport(
        resolver: MXZoneResolver = publicMX, sender: MXFakeSender = MXFakeSender(), relay: MXFakeSender = MXFakeSender(),
        listeners: [ListenAddress] = wildcard, machine: Set<MailCore.IPAddress> = [MailCore.IPAddress("203.0.113.25")!],
        relayHost: String? = nil, routes: [String: String] = [:]
    ) -> MXTransport {
        MXTransport(
            resolver: resolver, lookup: MailExchangerLookup(resolver: resolver, randomize: { $0 }), client: sender,
            relayClient: relay, port: 25, relayHost: relayHost, routes: routes,
            ownHost: OwnHost(hostname: "mx.example.test", listeners: listeners, interfaceAddresses: { machine }),
            logger: Logger(label: "test"))
    }

    @Test("Issue 11: with 0.0.0.0:25 and [::]:25 listeners, another host's MX on port 25 is not ourself")
    func wildcardListenersDoNotSwallowEveryMX() async {
        let sender = MXFakeSender()
        let results = await transport(sender: sender).deliver(
            [], reversePath: "a@example.test", recipients: ["bob@remote.test"], domain: "remote.test")
        guard case .sent = results["bob@remote.test"] else {
            Issue.record("expected sent, got \(String(describing: results))")
            return
        }
        #expect(sender.addresses == ["198.51.100.10"])
    }

    @Test("A wildcard listener is ourself for this machine's addresses and loopback, on its port only")
    func ownHostDecisions() {
        let own = OwnHost(
            hostname: "mx.example.test", listeners: Self.wildcard + [ListenAddress(host: "192.0.2.5", port: 2525)],
            interfaceAddresses: { [MailCore.IPAddress("203.0.113.25")!, MailCore.IPAddress("2001:db8::25")!] })
        func target(_ address: String, _ port: Int = 25, host: String = "mx.other.test") -> MXTransport.Target {
            MXTransport.Target(host: host, address: address, port: port)
        }
        let cases: [(MXTransport.Target, Bool)] = [
            (target("203.0.113.25"), true), (target("::ffff:203.0.113.25"), true), (target("2001:db8::25"), true),
            (target("2001:DB8:0::25"), true), (target("127.0.0.1"), true), (target("127.3.4.5"), true), (target("::1"), true),
            (target("0.0.0.0"), true), (target("198.51.100.10"), false), (target("2001:db8::99"), false),
            (target("203.0.113.25", 587), false), (target("192.0.2.5", 2525), true), (target("192.0.2.6", 2525), false),
            (target("198.51.100.10", host: "MX.Example.Test."), true),
        ]
        #expect(own.ourselves(cases.map(\.0)) == cases.map(\.1))
        let ipv4Only = OwnHost(hostname: "h", listeners: [ListenAddress(host: "0.0.0.0", port: 25)], interfaceAddresses: { [] })
        #expect(ipv4Only.ourselves([target("::1"), target("127.0.0.1")]) == [false, true])
    }

    @Test("An MX that is this machine is a loop (5.4.6) when no better MX exists")
    func loopToOurself() async {
        let sender = MXFakeSender()
        let results = await transport(sender: sender).deliver(
            [], reversePath: "", recipients: ["x@ours-only.test"], domain: "ours-only.test")
        guard case .failed(let status, let reason, _) = results["x@ours-only.test"] else {
            Issue.record("expected a failure, got \(String(describing: results))")
            return
        }
        #expect(status == "5.4.6")
        #expect(reason.contains("loops back to myself"))
        #expect(sender.addresses.isEmpty)
    }

    @Test("RFC 5321 § 5.1: as a backup MX, only more preferred exchangers are tried")
    func backupMX() async {
        let sender = MXFakeSender(["198.51.100.30": .failed(reason: "connection refused", reply: nil, isPermanent: false)])
        let results = await transport(sender: sender).deliver(
            [], reversePath: "", recipients: ["x@backup.test"], domain: "backup.test")
        guard case .deferred = results["x@backup.test"] else {
            Issue.record("expected deferred, got \(String(describing: results))")
            return
        }
        #expect(sender.addresses == ["198.51.100.30"], "never ourselves")
    }

    @Test("A route or relay host that is this server is a loop; a route elsewhere is used as given")
    func routesAndRelayHost() async {
        let looped = await transport(routes: ["remote.test": "127.0.0.1:25"]).deliver(
            [], reversePath: "", recipients: ["a@remote.test"], domain: "remote.test")
        guard case .failed(let status, _, _) = looped["a@remote.test"] else {
            Issue.record("expected a loop failure")
            return
        }
        #expect(status == "5.4.6")
        let sender = MXFakeSender()
        let routed = await transport(sender: sender, routes: ["remote.test": "127.0.0.1:2526"]).deliver(
            [], reversePath: "", recipients: ["a@remote.test"], domain: "remote.test")
        guard case .sent = routed["a@remote.test"] else {
            Issue.record("a route to another port of this host is not ourself")
            return
        }
        #expect(sender.attempts.withLock { $0.map(\.port) } == [2526])
        let relay = MXFakeSender()
        let smarthost = await transport(sender: sender, relay: relay, relayHost: "smarthost.test:587").deliver(
            [], reversePath: "", recipients: ["a@remote.test"], domain: "remote.test")
        guard case .sent = smarthost["a@remote.test"] else {
            Issue.record("the relay host takes the mail")
            return
        }
        #expect(
            relay.attempts.withLock { $0 } == [
                .init(address: "198.51.100.99", port: 587, serverName: "smarthost.test", recipients: ["a@remote.test"])
            ])
    }

    @Test("Duplicate recipients never trap: sent once, answered once")
    func duplicates() async {
        let sender = MXFakeSender()
        let recipients = ["bob@remote.test", "bob@remote.test", "Bob@remote.test"]
        let results = await transport(sender: sender).deliver([], reversePath: "", recipients: recipients, domain: "remote.test")
        #expect(Set(results.keys) == ["bob@remote.test", "Bob@remote.test"])
        #expect(sender.attempts.withLock { $0.first?.recipients } == ["bob@remote.test", "Bob@remote.test"])
        let failed = await transport().deliver([], reversePath: "", recipients: recipients, domain: "null.test")
        #expect(failed.count == 2, "a failure for every recipient, duplicates merged")
    }

    @Test("Mixed results: per-recipient replies become sent, deferred and failed")
    func mixedResults() async {
        let replies: [String: SMTPReply] = [
            "ok@remote.test": SMTPReply(250, .init(2, 0, 0), "OK"),
            "later@remote.test": SMTPReply(451, .init(4, 2, 0), "try later"),
            "gone@remote.test": SMTPReply(550, .init(5, 1, 1), "no such user"),
        ]
        let sender = MXFakeSender(["198.51.100.10": .transaction(recipientReplies: replies, remote: "mx1")])
        let results = await transport(sender: sender).deliver(
            [], reversePath: "", recipients: ["ok@remote.test", "later@remote.test", "gone@remote.test", "silent@remote.test"],
            domain: "remote.test")
        guard case .sent = results["ok@remote.test"], case .deferred = results["later@remote.test"],
            case .failed(let status, _, _) = results["gone@remote.test"], case .deferred = results["silent@remote.test"]
        else {
            Issue.record("unexpected \(results)")
            return
        }
        #expect(status == "5.1.1")
    }

    @Test("Every host refusing for good fails; one unreachable host keeps it deferred; the next MX is tried")
    func hostByHost() async {
        let refusal = AttemptOutcome.failed(reason: "554", reply: SMTPReply(554, .init(5, 7, 1), "go away"), isPermanent: true)
        let allRefuse = MXFakeSender(["198.51.100.10": refusal, "198.51.100.20": refusal, "2001:db8::20": refusal])
        let failed = await transport(sender: allRefuse).deliver(
            [], reversePath: "", recipients: ["a@remote.test"], domain: "remote.test")
        guard case .failed(let status, _, _) = failed["a@remote.test"] else {
            Issue.record("expected failed")
            return
        }
        #expect(status == "5.7.1")
        #expect(allRefuse.addresses == ["198.51.100.10", "198.51.100.20", "2001:db8::20"])
        let firstDown = MXFakeSender(["198.51.100.10": .failed(reason: "timeout", reply: nil, isPermanent: false)])
        let sent = await transport(sender: firstDown).deliver(
            [], reversePath: "", recipients: ["a@remote.test"], domain: "remote.test")
        guard case .sent = sent["a@remote.test"] else {
            Issue.record("the second MX takes it")
            return
        }
        let unknown = await transport().deliver([], reversePath: "", recipients: ["a@nowhere.test"], domain: "nowhere.test")
        guard case .failed(let nxStatus, _, _) = unknown["a@nowhere.test"] else {
            Issue.record("no such domain fails")
            return
        }
        #expect(nxStatus == "5.1.2")
    }
}
