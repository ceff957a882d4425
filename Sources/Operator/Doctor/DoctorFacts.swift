import Configuration
import Foundation
import MailCore

/// Everything the checks look at, gathered once from the data directory, the
/// disk and the DNS. Checks are functions of these values, so tests feed them
/// made-up facts without touching DNS or disk.
public struct DoctorFacts: Sendable {
    public var dataDirectory: String
    /// The moment the facts were gathered; ages and expiry are relative to it.
    public var now: Date
    /// nil when sims.toml is missing or invalid (see `configurationProblems`).
    public var configuration: ServerConfiguration?
    /// Why sims.toml could not be used; each one is critical.
    public var configurationProblems: [String] = []
    /// This host's default gateways (`RouteTable`): a client network covering
    /// one is the NAT trap.
    public var gateways: [IPAddress] = []
    public var certificate: CertificateFacts?
    /// The directory's local domains (lower case); nil when it cannot be read.
    public var localDomains: [String]?
    public var directoryProblem: String?
    public var queue: QueueFacts?
    public var disk: DiskFacts?
    /// The DNS facts; nil with `--offline` or without a configuration.
    public var dns: DNSFacts?
    /// Why DNS was not asked (`--offline`), for the one line saying so.
    public var dnsSkipped: String?
    /// The DKIM keys in the data directory (`dkim/`).
    public var dkimKeys: [PublishedRecords.DKIMKey] = []
    /// Each key's record in the DNS (not asked offline or for reserved names).
    public var dkim: [DKIMRecordFacts] = []

    public init(dataDirectory: String, now: Date) {
        self.dataDirectory = dataDirectory
        self.now = now
    }
}

/// The server's certificate as read from disk.
public enum CertificateFacts: Sendable, Equatable {
    case missing(path: String)
    /// The certificate or its key cannot be used; `reason` says why.
    case unusable(path: String, reason: String)
    case loaded(CertificateSummary)
}

public struct CertificateSummary: Sendable, Equatable {
    public var path: String
    public var notBefore: Date
    public var notAfter: Date
    /// DNS subject alternative names, or the common name when there are none.
    public var names: [String]
    public var selfSigned: Bool

    public init(path: String, notBefore: Date, notAfter: Date, names: [String], selfSigned: Bool) {
        self.path = path
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.names = names
        self.selfSigned = selfSigned
    }
}

public struct QueueFacts: Sendable, Equatable {
    public var count: Int
    /// When the oldest queued message arrived; nil when the queue is empty.
    public var oldest: Date?

    public init(count: Int, oldest: Date?) {
        self.count = count
        self.oldest = oldest
    }
}

public struct DiskFacts: Sendable, Equatable {
    public var path: String
    public var totalBytes: UInt64
    /// Bytes an unprivileged process may still write (statvfs f_bavail).
    public var availableBytes: UInt64

    public init(path: String, totalBytes: UInt64, availableBytes: UInt64) {
        self.path = path
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
    }
}

/// What the DNS says about the hostname and the local domains. Names under
/// reserved test TLDs are not asked about and are absent here.
public struct DNSFacts: Sendable {
    public var hostname: HostnameFacts?
    public var domains: [DomainFacts] = []

    public init(hostname: HostnameFacts? = nil, domains: [DomainFacts] = []) {
        self.hostname = hostname
        self.domains = domains
    }
}

public struct HostnameFacts: Sendable {
    public var name: String
    /// The A and AAAA addresses together.
    public var addresses: DoctorLookup<[String]>
    /// The PTR names of each address in `addresses`.
    public var reverse: [String: DoctorLookup<[String]>]

    public init(name: String, addresses: DoctorLookup<[String]>, reverse: [String: DoctorLookup<[String]>] = [:]) {
        self.name = name
        self.addresses = addresses
        self.reverse = reverse
    }
}

public struct DomainFacts: Sendable {
    public var name: String
    public var mx: DoctorLookup<[MailExchanger]>
    /// Every TXT record at the domain (SPF is among them).
    public var txt: DoctorLookup<[String]>
    /// TXT records at `_dmarc.DOMAIN`.
    public var dmarc: DoctorLookup<[String]>

    public init(
        name: String, mx: DoctorLookup<[MailExchanger]>, txt: DoctorLookup<[String]>, dmarc: DoctorLookup<[String]>
    ) {
        self.name = name
        self.mx = mx
        self.txt = txt
        self.dmarc = dmarc
    }
}

/// One MX record: lower preference is tried first; `.` is a null MX.
public struct MailExchanger: Hashable, Sendable {
    public var preference: Int
    public var exchange: String

    public init(preference: Int, exchange: String) {
        self.preference = preference
        self.exchange = exchange
    }
}
