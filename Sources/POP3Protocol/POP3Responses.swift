/// Response texts, built in one place so their wording stays consistent.
///
/// Response codes in brackets are RFC 2449 § 8 (IN-USE) and RFC 3206
/// (AUTH, SYS/TEMP).
public enum POP3Responses {
    public static func ok(_ text: String = "") -> String {
        text.isEmpty ? "+OK\r\n" : "+OK \(text)\r\n"
    }

    public static func err(_ text: String) -> String { "-ERR \(text)\r\n" }

    /// RFC 1939 § 3: "a multi-line response is terminated with a line
    /// containing a single termination octet", and lines starting with it
    /// are byte-stuffed.
    public static func multiline(_ first: String, _ lines: [String]) -> String {
        var response = ok(first)
        for line in lines {
            response += line.hasPrefix(".") ? ".\(line)\r\n" : "\(line)\r\n"
        }
        return response + ".\r\n"
    }

    /// RFC 3206 § 4: [AUTH] means the problem is with the credentials. The
    /// same text for an unknown user and a wrong password, so a prober
    /// learns nothing about which accounts exist.
    public static let authenticationFailed = err("[AUTH] Authentication failed")
    public static let plaintextRefused = err("[AUTH] Plaintext authentication requires TLS")
    public static let tooManyAuthenticationFailures = err("[AUTH] Too many authentication failures, closing connection")
    /// RFC 2449 § 8.1.1: IN-USE, "the server is unable to acquire an
    /// exclusive lock on the maildrop".
    public static let inUse = err("[IN-USE] Mailbox in use")
    public static let temporaryFailure = err("[SYS/TEMP] Temporary failure, try again later")
    public static let updateFailed = err("[SYS/TEMP] Some deleted messages not removed")
    public static let messageUnavailable = err("[SYS/TEMP] Message could not be read")
    public static let lineTooLong = err("Command line too long")
    public static let bareLineEnding = err("Bare CR or LF in command; lines must end with CRLF")
    public static let unknownCommand = err("Unknown command")
    public static let wrongArguments = err("Wrong number of arguments")
    public static let invalidMessageNumber = err("Invalid message number")
    public static let tooManyErrors = err("Too many errors, closing connection")
    public static let protocolViolation = err("Protocol violation")
}
