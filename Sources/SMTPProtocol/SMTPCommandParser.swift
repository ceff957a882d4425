import MailCore

/// Parses one command line (without CR LF) into an `SMTPCommand`.
///
/// Verbs are case-insensitive (RFC 5321 § 2.4). Arguments are checked as
/// strictly as the grammar allows: an ambiguous address is a syntax error.
public enum SMTPCommandParser {
    /// - Parameter utf8Recipients: whether the current transaction was opened
    ///   with SMTPUTF8, which allows non-ASCII in RCPT TO.
    public static func parse(_ line: String, utf8Recipients: Bool) -> Result<SMTPCommand, SMTPCommandError> {
        let verbEnd = line.firstIndex(of: " ") ?? line.endIndex
        let verb = line[..<verbEnd].asciiUppercased()
        let argument = line[verbEnd...].drop(while: { $0 == " " })
        do {
            return .success(try parse(verb: verb, argument: argument, utf8Recipients: utf8Recipients))
        } catch {
            return .failure(error)
        }
    }

    private static func parse(verb: String, argument: Substring, utf8Recipients: Bool) throws(SMTPCommandError) -> SMTPCommand {
        switch verb {
        case "EHLO", "HELO":
            let name = argument.trimmingTrailingSpaces()
            guard !name.isEmpty, !name.contains(" "),
                name.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 })
            else {
                throw SMTPCommandError(501, .init(5, 5, 4), "Syntax: \(verb) hostname")
            }
            return verb == "EHLO" ? .ehlo(String(name)) : .helo(String(name))
        case "MAIL":
            return try parseMail(argument)
        case "RCPT":
            return try parseRcpt(argument, allowUTF8: utf8Recipients)
        case "DATA": try requireNoArgument(argument, verb); return .data
        case "RSET": try requireNoArgument(argument, verb); return .rset
        case "QUIT": try requireNoArgument(argument, verb); return .quit
        case "STARTTLS": try requireNoArgument(argument, verb); return .startTLS
        case "AUTH":
            let parts = argument.trimmingTrailingSpaces().split(separator: " ")
            guard (1...2).contains(parts.count) else {
                throw SMTPCommandError(501, .init(5, 5, 4), "Syntax: AUTH mechanism [initial-response]")
            }
            return .auth(mechanism: parts[0].asciiUppercased(), initialResponse: parts.count == 2 ? String(parts[1]) : nil)
        case "NOOP": return .noop  // RFC 5321: NOOP [ SP String ], the string is ignored
        case "HELP": return .help
        case "VRFY", "EXPN":
            guard !argument.isEmpty else { throw SMTPCommandError(501, .init(5, 5, 4), "Syntax: \(verb) address") }
            return verb == "VRFY" ? .vrfy(String(argument)) : .expn(String(argument))
        default:
            throw SMTPCommandError(500, .init(5, 5, 1), "Command unrecognized", reason: "unknown command")
        }
    }

    private static func requireNoArgument(_ argument: Substring, _ verb: String) throws(SMTPCommandError) {
        guard argument.trimmingTrailingSpaces().isEmpty else {
            throw SMTPCommandError(501, .init(5, 5, 4), "Syntax: \(verb) takes no arguments")
        }
    }

    /// `MAIL FROM:<reverse-path> [SP Mail-parameters]`. One space after the
    /// colon is tolerated, as almost every server does.
    private static func parseMail(_ argument: Substring) throws(SMTPCommandError) -> SMTPCommand {
        guard argument.asciiUppercased().hasPrefix("FROM:") else {
            throw SMTPCommandError(501, .init(5, 5, 4), "Syntax: MAIL FROM:<address>")
        }
        let pathText = argument.dropFirst(5).drop(while: { $0 == " " })
        let path: EnvelopePath
        let rest: Substring
        do {
            (path, rest) = try PathParser.parse(pathText, allowNull: true, allowUTF8: true)
        } catch {
            throw SMTPCommandError(501, .init(5, 1, 7), "Bad sender address syntax: \(error)")
        }
        let parameters = try parseMailParameters(rest)
        if case .localPostmaster = path {
            throw SMTPCommandError(501, .init(5, 1, 7), "Bad sender address syntax: address has no domain")
        }
        if !parameters.smtpUTF8, path.mailbox?.isInternationalized == true {
            throw SMTPCommandError(553, .init(5, 6, 7), "Non-ASCII address requires SMTPUTF8")
        }
        return .mail(path, parameters)
    }

    private static func parseMailParameters(_ text: Substring) throws(SMTPCommandError) -> MailParameters {
        var parameters = MailParameters()
        var seen: Set<String> = []
        for item in text.split(separator: " ") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let keyword = parts[0].asciiUppercased()
            let value = parts.count == 2 ? String(parts[1]) : nil
            guard seen.insert(keyword).inserted else {
                throw SMTPCommandError(501, .init(5, 5, 4), "Duplicate parameter \(keyword)")
            }
            switch (keyword, value) {
            case ("SIZE", let value?):
                guard let size = Int(value), size >= 0, value.count <= 18 else {
                    throw SMTPCommandError(501, .init(5, 5, 4), "Bad SIZE parameter")
                }
                parameters.declaredSize = size
            case ("BODY", let value?):
                guard let body = BodyType(rawValue: value.asciiUppercased()) else {
                    throw SMTPCommandError(555, .init(5, 5, 4), "Unsupported BODY type \(value)")
                }
                parameters.body = body
            case ("SMTPUTF8", nil):
                parameters.smtpUTF8 = true
            case ("AUTH", .some):
                // RFC 4954 § 5: the AUTH= parameter names who submitted the
                // message on a relay chain; we do not act on it.
                break
            default:
                throw SMTPCommandError(555, .init(5, 5, 4), "Unsupported MAIL parameter \(keyword)")
            }
        }
        return parameters
    }

    private static func parseRcpt(_ argument: Substring, allowUTF8: Bool) throws(SMTPCommandError) -> SMTPCommand {
        guard argument.asciiUppercased().hasPrefix("TO:") else {
            throw SMTPCommandError(501, .init(5, 5, 4), "Syntax: RCPT TO:<address>")
        }
        let pathText = argument.dropFirst(3).drop(while: { $0 == " " })
        let path: EnvelopePath
        let rest: Substring
        do {
            (path, rest) = try PathParser.parse(pathText, allowNull: false, allowUTF8: allowUTF8)
        } catch .needsSMTPUTF8 {
            throw SMTPCommandError(553, .init(5, 6, 7), "Non-ASCII address requires SMTPUTF8")
        } catch {
            throw SMTPCommandError(501, .init(5, 1, 3), "Bad recipient address syntax: \(error)")
        }
        if !rest.trimmingTrailingSpaces().isEmpty {
            throw SMTPCommandError(555, .init(5, 5, 4), "Unsupported RCPT parameter")
        }
        return .rcpt(path)
    }
}

extension StringProtocol {
    /// Upper-cases ASCII letters only. Unicode case mapping would turn
    /// "MA\u{131}L" (dotless i) into "MAIL"; another server would not, and
    /// such disagreements between parsers are what smuggling attacks use.
    func asciiUppercased() -> String {
        String(decoding: utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
    }
}

extension Substring {
    func trimmingTrailingSpaces() -> Substring {
        var result = self
        while result.last == " " { result = result.dropLast() }
        return result
    }
}
