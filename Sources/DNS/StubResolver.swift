import Logging
import MailCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A stub resolver (RFC 1034 § 5.3.1): asks recursive name servers, follows
/// CNAMEs, and caches answers, negative ones included.
public final class StubResolver: DNSResolving {
    /// The longest CNAME chain followed. RFC 1034 § 3.6.2: "CNAME chains
    /// should be followed and CNAME loops signalled as an error"; 8 is far
    /// beyond any legitimate chain and ends a loop quickly.
    public static let maximumCNAMEHops = 8

    private let transport: any DNSTransport
    private let cache: NIOLockedValueBox<DNSCache>
    private let now: @Sendable () -> NIODeadline
    private let logger: Logger

    /// A resolver asking `servers` (`address:port`, `[ipv6]:port`, or a bare
    /// address for port 53) in order, each query waiting `timeout` for a
    /// reply, the whole list tried `attempts` times. Entries that are not IP
    /// addresses are logged and left out. `group` defaults to SwiftNIO's
    /// shared event-loop group.
    ///
    /// A lookup that gets no answer fails after at most `attempts` × servers
    /// × `timeout` (twice that if a server truncates and then stalls on TCP),
    /// plus `timeout` again for each CNAME the servers leave to us to follow.
    public convenience init(
        servers: [String], group: any EventLoopGroup = NIOSingletons.posixEventLoopGroup,
        timeout: Duration = .seconds(2), attempts: Int = 2, logger: Logger = Logger(label: "DNS")
    ) {
        var addresses: [SocketAddress] = []
        for server in servers {
            if let address = DNSServerList.socketAddress(server) {
                addresses.append(address)
            } else {
                logger.warning("ignoring DNS server \(server.debugDescription): not an IP address and port")
            }
        }
        let transport = NIODNSTransport(
            servers: addresses, group: group, timeout: timeout, attempts: attempts, logger: logger)
        self.init(transport: transport, logger: logger)
    }

    /// A resolver over any transport, with an injectable clock for the cache.
    package init(
        transport: any DNSTransport, cache: DNSCache = DNSCache(),
        clock: @escaping @Sendable () -> NIODeadline = { .now() }, logger: Logger = Logger(label: "DNS")
    ) {
        self.transport = transport
        self.cache = NIOLockedValueBox(cache)
        self.now = clock
        self.logger = logger
    }

    /// The servers named in resolv.conf(5), as `address:port` strings.
    ///
    /// Reads the file synchronously: call it once at startup, not per lookup.
    public static func systemServers(resolvConf: String = "/etc/resolv.conf") -> [String] {
        DNSServerList.parseResolvConf(ResolvConfFile.read(resolvConf) ?? "")
    }

    public func mx(_ name: String) async throws(DNSError) -> [MXRecord] {
        try await lookup(name, .mx).compactMap {
            guard case .mx(let preference, let exchange) = $0 else { return nil }
            return MXRecord(preference: preference, exchange: exchange.description)
        }
    }

    public func a(_ name: String) async throws(DNSError) -> [String] {
        try await lookup(name, .a).compactMap {
            guard case .a(let address) = $0 else { return nil }
            return address.description
        }
    }

    public func aaaa(_ name: String) async throws(DNSError) -> [String] {
        try await lookup(name, .aaaa).compactMap {
            guard case .aaaa(let address) = $0 else { return nil }
            return address.description
        }
    }

    public func txt(_ name: String) async throws(DNSError) -> [String] {
        try await lookup(name, .txt).compactMap {
            guard case .txt(let strings) = $0 else { return nil }
            return String(decoding: strings.joined(), as: UTF8.self)
        }
    }

    /// Something that is not an IP address has no reverse name, so it gets
    /// the permanent `.nameDoesNotExist`.
    public func ptr(_ address: String) async throws(DNSError) -> [String] {
        guard let parsed = IPAddress(address) else { throw .nameDoesNotExist("\(address) (not an IP address)") }
        return try await lookup(parsed.reverseName.description, .ptr).compactMap {
            guard case .ptr(let name) = $0 else { return nil }
            return name.description
        }
    }

    /// The RRset of `type` for `name`, from the cache or the servers,
    /// following CNAMEs across queries when a server leaves them to us.
    ///
    /// A name that cannot be written on the wire cannot exist in the DNS:
    /// `.nameDoesNotExist`.
    package func lookup(_ name: String, _ type: DNSRecordType) async throws(DNSError) -> [DNSRecordData] {
        let asked: DNSName
        do { asked = try DNSName(name) } catch { throw .nameDoesNotExist(name) }
        var current = asked
        var chainTTL = UInt32.max
        var hopsLeft = Self.maximumCNAMEHops
        while true {
            let key = DNSCache.Key(current, type)
            let instant = now()
            if let (entry, ttl) = cache.withLockedValue({ $0.lookup(key, now: instant) }) {
                if !current.matches(asked) { remember(entry, for: asked, type, ttl: min(ttl, chainTTL)) }
                return try result(entry, for: name)
            }
            let question = DNSQuestion(name: current, type: type)
            let response = try await transport.exchange(question)
            let entry: DNSCache.Entry
            let ttl: UInt32?
            switch try DNSAnswer.interpret(response, for: question, maximumHops: hopsLeft) {
            case .alias(let target, let aliasTTL, let hops):
                logger.trace("following CNAME", metadata: ["from": "\(current)", "to": "\(target)"])
                chainTTL = min(chainTTL, aliasTTL)
                hopsLeft -= hops
                current = target
                continue
            case .records(let records, let recordsTTL):
                (entry, ttl) = (.records(records), recordsTTL)
            case .nameError(let negativeTTL):
                (entry, ttl) = (.nameError, negativeTTL)
            case .noData(let negativeTTL):
                (entry, ttl) = (.noData, negativeTTL)
            }
            // RFC 2308 § 5: negative answers without an SOA are not cached.
            if let ttl {
                remember(entry, for: current, type, ttl: ttl)
                if !current.matches(asked) { remember(entry, for: asked, type, ttl: min(ttl, chainTTL)) }
            }
            return try result(entry, for: name)
        }
    }

    private func remember(_ entry: DNSCache.Entry, for name: DNSName, _ type: DNSRecordType, ttl: UInt32) {
        let instant = now()
        cache.withLockedValue { $0.store(entry, for: DNSCache.Key(name, type), ttl: ttl, now: instant) }
    }

    private func result(_ entry: DNSCache.Entry, for name: String) throws(DNSError) -> [DNSRecordData] {
        switch entry {
        case .records(let records): return records
        case .noData: return []
        case .nameError: throw .nameDoesNotExist(name)
        }
    }
}
