/// A mailbox, `local-part@domain`, as parsed from an SMTP path.
///
/// `localPart` holds the decoded local part: for `"john doe"@example.test` it is
/// `john doe`. Local parts are kept exactly as sent (RFC 5321 § 2.4: only the
/// destination host may interpret them); lookups decide about case.
public struct Mailbox: Hashable, Sendable, CustomStringConvertible {
    public var localPart: String
    public var domain: MailDomain

    public init(localPart: String, domain: MailDomain) {
        self.localPart = localPart
        self.domain = domain
    }

    /// True when the local part contains characters that make it need quoting.
    public var localPartNeedsQuoting: Bool {
        if localPart.isEmpty { return true }
        var previousDot = true
        for scalar in localPart.unicodeScalars {
            if scalar == "." {
                if previousDot { return true }
                previousDot = true
                continue
            }
            previousDot = false
            if !PathParser.isAtext(scalar) && scalar.isASCII { return true }
        }
        return previousDot
    }

    /// The address in its RFC 5321 form, quoting the local part when needed.
    public var description: String {
        if localPartNeedsQuoting {
            var quoted = "\""
            for character in localPart {
                if character == "\"" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            quoted.append("\"")
            return "\(quoted)@\(domain)"
        }
        return "\(localPart)@\(domain)"
    }

    /// True if any part of the address is outside ASCII (needs SMTPUTF8).
    public var isInternationalized: Bool {
        !localPart.unicodeScalars.allSatisfy(\.isASCII)
            || !(domain.description.unicodeScalars.allSatisfy(\.isASCII))
    }
}

/// An envelope path: the reverse-path of MAIL FROM (which may be null, `<>`)
/// or the forward-path of RCPT TO.
public enum EnvelopePath: Hashable, Sendable, CustomStringConvertible {
    /// `<>`: the null reverse-path used by bounces (RFC 5321 § 4.5.5).
    case null
    /// `<Postmaster>` without a domain (RFC 5321 § 4.1.1.3): the local postmaster.
    case localPostmaster
    case mailbox(Mailbox)

    public var description: String {
        switch self {
        case .null: return "<>"
        case .localPostmaster: return "<Postmaster>"
        case .mailbox(let mailbox): return "<\(mailbox)>"
        }
    }

    public var mailbox: Mailbox? {
        if case .mailbox(let mailbox) = self { return mailbox }
        return nil
    }
}
