import MailCore

/// The SMTP service extensions a server announced in its EHLO reply
/// (RFC 5321 § 4.1.1.1: the first line is the greeting, each further line
/// one keyword with optional parameters).
public struct ServerCapabilities: Sendable, Hashable {
    /// RFC 2920.
    public var pipelining = false
    /// RFC 1870: the advertised limit in octets; 0 means "no fixed limit"; nil, no SIZE.
    public var sizeLimit: Int?
    /// RFC 6152.
    public var eightBitMIME = false
    /// RFC 6531.
    public var smtpUTF8 = false
    /// RFC 3207.
    public var startTLS = false
    /// RFC 2034.
    public var enhancedStatusCodes = false
    /// RFC 4954: the SASL mechanisms, upper-cased.
    public var authMechanisms: Set<String> = []

    public init() {}

    /// Reads the keywords from an EHLO reply. Keywords are case-insensitive
    /// (RFC 5321 § 2.4). Some old servers announce AUTH as `AUTH=LOGIN PLAIN`;
    /// that form is read too.
    public init(ehloReply reply: SMTPReply) {
        for line in reply.lines.dropFirst() {
            let words = line.split(separator: " ").map { $0.uppercased() }
            guard let keyword = words.first else { continue }
            switch keyword {
            case "PIPELINING": pipelining = true
            case "8BITMIME": eightBitMIME = true
            case "SMTPUTF8": smtpUTF8 = true
            case "STARTTLS": startTLS = true
            case "ENHANCEDSTATUSCODES": enhancedStatusCodes = true
            case "SIZE":
                // RFC 1870 § 4: a missing or unreadable value means no fixed limit.
                sizeLimit = words.count > 1 ? Int(words[1]) ?? 0 : 0
            case "AUTH":
                authMechanisms.formUnion(words.dropFirst())
            default:
                if keyword.hasPrefix("AUTH=") {
                    authMechanisms.insert(String(keyword.dropFirst(5)))
                    authMechanisms.formUnion(words.dropFirst())
                }
            }
        }
    }
}
