import MailCore

/// Replies used in more than one place, so their wording stays consistent.
public enum Replies {
    public static func ok(_ text: String) -> SMTPReply { SMTPReply(250, .init(2, 0, 0), text) }

    public static let helloFirst = SMTPReply(503, .init(5, 5, 1), "Send EHLO or HELO first")
    /// RFC 5321 § 4.5.3.1.4: 500 for a command line that is too long.
    public static let lineTooLong = SMTPReply(500, .init(5, 5, 2), "Line too long")
    public static let bareLineEnding = SMTPReply(500, .init(5, 5, 2), "Bare CR or LF in command; lines must end with CRLF")
    public static let bareLineEndingInMessage = SMTPReply(
        554, .init(5, 6, 0), "Message refused: bare CR or LF in message text; lines must end with CRLF")
    public static let invalidUTF8 = SMTPReply(500, .init(5, 5, 2), "Command is not valid UTF-8")
    public static let protocolViolation = SMTPReply(554, .init(5, 5, 0), "Protocol violation")
    public static let earlyTalker = SMTPReply(554, .init(5, 5, 0), "Protocol violation: client sent data before the greeting")

    public static func messageTooBig(_ limit: Int) -> SMTPReply {
        SMTPReply(552, .init(5, 3, 4), "Message size exceeds fixed limit of \(limit) octets")
    }

    public static func tooManyErrors(_ hostname: String) -> SMTPReply {
        SMTPReply(421, .init(4, 7, 0), "\(hostname) Too many errors, closing connection")
    }

    public static func tooManyCommands(_ hostname: String) -> SMTPReply {
        SMTPReply(421, .init(4, 7, 0), "\(hostname) Too many commands, closing connection")
    }

    public static func timeout(_ hostname: String) -> SMTPReply {
        SMTPReply(421, .init(4, 4, 2), "\(hostname) Timeout exceeded, closing connection")
    }

    public static func shuttingDown(_ hostname: String) -> SMTPReply {
        SMTPReply(421, .init(4, 3, 2), "\(hostname) Service shutting down, closing connection")
    }

    public static func tooManyConnections(_ hostname: String) -> SMTPReply {
        SMTPReply(421, .init(4, 7, 0), "\(hostname) Too many connections, try again later")
    }

    /// Every connection slot is taken and this session was idle the longest.
    public static func closingIdle(_ hostname: String) -> SMTPReply {
        SMTPReply(421, .init(4, 4, 5), "\(hostname) Server busy, closing idle connection")
    }

    public static func tooManyConnectionsFromYou(_ hostname: String) -> SMTPReply {
        SMTPReply(421, .init(4, 7, 0), "\(hostname) Too many connections from your address, try again later")
    }

    /// RFC 4954 § 6: the same reply for an unknown user and a wrong
    /// password, so a prober learns nothing about which accounts exist.
    public static let authenticationFailed = SMTPReply(535, .init(5, 7, 8), "Authentication credentials invalid")
    public static let relayDenied = RelayRefusal.noPermission(client: "").reply
    public static let unknownUser = SMTPReply(550, .init(5, 1, 1), "No such user here")
    public static let directoryUnavailable = SMTPReply(451, .init(4, 3, 0), "Temporary lookup failure, try again later")
}
