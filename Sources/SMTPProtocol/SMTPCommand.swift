import MailCore

/// The body type of a message, from MAIL FROM's BODY parameter (RFC 6152).
public enum BodyType: String, Hashable, Sendable {
    case sevenBit = "7BIT"
    case eightBitMIME = "8BITMIME"
}

/// The ESMTP parameters of MAIL FROM that SIMS implements.
public struct MailParameters: Hashable, Sendable {
    /// RFC 1870 SIZE: the size the client declares.
    public var declaredSize: Int?
    /// RFC 6152 BODY.
    public var body: BodyType?
    /// RFC 6531 SMTPUTF8: UTF-8 is allowed in this transaction's addresses and headers.
    public var smtpUTF8: Bool = false

    public init(declaredSize: Int? = nil, body: BodyType? = nil, smtpUTF8: Bool = false) {
        self.declaredSize = declaredSize
        self.body = body
        self.smtpUTF8 = smtpUTF8
    }
}

/// A parsed SMTP command (RFC 5321 § 4.1.1, RFC 3207).
public enum SMTPCommand: Hashable, Sendable {
    case ehlo(String)
    case helo(String)
    case mail(EnvelopePath, MailParameters)
    case rcpt(EnvelopePath)
    case data
    case rset
    case noop
    case quit
    case vrfy(String)
    case expn(String)
    case help
    case startTLS
    /// RFC 4954: `AUTH mechanism [initial-response]`.
    case auth(mechanism: String, initialResponse: String?)
}

/// A command line that could not be turned into a command, with the reply it earns.
public struct SMTPCommandError: Error, Hashable, Sendable {
    public var reply: SMTPReply
    /// A short reason for the log.
    public var reason: String

    init(_ code: Int, _ enhanced: EnhancedStatusCode, _ text: String, reason: String? = nil) {
        reply = SMTPReply(code, enhanced, text)
        self.reason = reason ?? text
    }
}
