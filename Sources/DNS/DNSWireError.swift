/// Why bytes could not be read as (or written as) a DNS message.
///
/// The decoder reports these instead of trapping: every length, count and
/// pointer in a reply comes from the network and is checked before use.
public enum DNSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The message ends inside a header, question, record or name.
    case truncated
    /// A compression pointer to an offset past the end of the message.
    case pointerOutOfRange(Int)
    /// A compression pointer that does not point strictly before the previous
    /// one; following it could loop forever.
    case pointerLoop(Int)
    /// A label length byte starting with the bits 01 or 10 (RFC 1035 § 4.1.4
    /// reserves them; RFC 6891 § 5 retired the one extension that used them).
    case reservedLabelType(UInt8)
    /// A name with an empty label inside it, such as `a..b` or `.a`.
    case emptyLabel
    /// A label longer than 63 octets (RFC 1035 § 2.3.4).
    case labelTooLong
    /// A name longer than 255 octets on the wire (RFC 1035 § 2.3.4).
    case nameTooLong
    /// A backslash escape in a name's text form that is not `\.`, `\\` or `\DDD`.
    case invalidEscape
    /// RDATA that does not fit its type, or does not fill its RDLENGTH.
    case invalidRecordData(DNSRecordType)
    /// The QR bit is clear: a query came back instead of a response.
    case notAResponse
    /// The response's ID is not the query's (RFC 1035 § 7.3).
    case idMismatch(expected: UInt16, received: UInt16)
    /// The response's question section is not the query's (RFC 1035 § 7.3).
    case questionMismatch

    public var description: String {
        switch self {
        case .truncated: return "message ends early"
        case .pointerOutOfRange(let offset): return "compression pointer at \(offset) points past the end"
        case .pointerLoop(let offset): return "compression pointer at \(offset) does not point backwards"
        case .reservedLabelType(let byte): return "reserved label type 0x\(String(byte, radix: 16))"
        case .emptyLabel: return "empty label in a name"
        case .labelTooLong: return "label longer than 63 octets"
        case .nameTooLong: return "name longer than 255 octets"
        case .invalidEscape: return "invalid escape in a name"
        case .invalidRecordData(let type): return "invalid \(type) record data"
        case .notAResponse: return "QR bit clear in a reply"
        case .idMismatch(let expected, let received): return "reply ID \(received) for query ID \(expected)"
        case .questionMismatch: return "reply question differs from the query's"
        }
    }
}
