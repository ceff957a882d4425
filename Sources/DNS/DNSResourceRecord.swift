import MailCore

/// One entry of a question section (RFC 1035 § 4.1.2).
public struct DNSQuestion: Hashable, Sendable, CustomStringConvertible {
    public var name: DNSName
    public var type: DNSRecordType
    public var recordClass: DNSRecordClass

    public init(name: DNSName, type: DNSRecordType, recordClass: DNSRecordClass = .internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }

    /// Same name (ignoring ASCII case), type and class.
    public func matches(_ other: DNSQuestion) -> Bool {
        type == other.type && recordClass == other.recordClass && name.matches(other.name)
    }

    public var description: String { "\(name) \(type)" }
}

/// One resource record of an answer, authority or additional section
/// (RFC 1035 § 4.1.3).
public struct DNSResourceRecord: Hashable, Sendable {
    public var name: DNSName
    public var recordClass: DNSRecordClass
    /// Seconds the record may be cached. RFC 2181 § 8 makes values with the top
    /// bit set mean zero; `effectiveTTL` applies that.
    public var ttl: UInt32
    public var data: DNSRecordData

    public init(name: DNSName, recordClass: DNSRecordClass = .internet, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    public var type: DNSRecordType { data.type }

    /// The TTL with RFC 2181 § 8 applied: over 2^31 − 1 counts as zero.
    public var effectiveTTL: UInt32 { ttl > UInt32(Int32.max) ? 0 : ttl }
}

/// The RDATA of the record types the resolver understands; anything else is
/// kept as raw octets so that it can be skipped.
public enum DNSRecordData: Hashable, Sendable {
    /// RFC 1035 § 3.4.1.
    case a(IPAddress)
    /// RFC 3596 § 2.2.
    case aaaa(IPAddress)
    /// RFC 1035 § 3.3.1.
    case cname(DNSName)
    /// RFC 1035 § 3.3.9.
    case mx(preference: UInt16, exchange: DNSName)
    /// RFC 1035 § 3.3.12.
    case ptr(DNSName)
    /// RFC 1035 § 3.3.13.
    case soa(DNSStartOfAuthority)
    /// RFC 1035 § 3.3.14: one or more character-strings, each up to 255 octets.
    case txt([[UInt8]])
    /// Any other type, RDATA uninterpreted.
    case other(DNSRecordType, [UInt8])

    public var type: DNSRecordType {
        switch self {
        case .a: return .a
        case .aaaa: return .aaaa
        case .cname: return .cname
        case .mx: return .mx
        case .ptr: return .ptr
        case .soa: return .soa
        case .txt: return .txt
        case .other(let type, _): return type
        }
    }
}

/// SOA RDATA (RFC 1035 § 3.3.13). The resolver needs it only for `minimum`,
/// which RFC 2308 § 4 redefined as the TTL of negative answers.
public struct DNSStartOfAuthority: Hashable, Sendable {
    public var primaryServer: DNSName
    public var responsibleMailbox: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(
        primaryServer: DNSName, responsibleMailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32,
        expire: UInt32, minimum: UInt32
    ) {
        self.primaryServer = primaryServer
        self.responsibleMailbox = responsibleMailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}
