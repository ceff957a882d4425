import MailCore

/// What the operator wants done with each HELO verdict (`[antispam]
/// helo_policy`). By default only the unambiguous cases are refused: a name
/// that is not a name (501 5.5.2) and a stranger claiming to be us
/// (550 5.7.1). A name that does not resolve to the client is common among
/// legitimate but sloppy MTAs, so it is logged (level 3, as the original
/// product did) unless the operator asks for `reject` or `score`.
/// A DNS failure is always accepted (fail open).
public struct HeloPolicy: Hashable, Sendable {
    /// What to do for one kind of verdict.
    public enum Rule: Hashable, Sendable {
        case log
        case reject
        case score(Double)
    }

    /// The result of applying the policy.
    public enum Action: Hashable, Sendable {
        case accept
        case reject(SMTPReply)
        case score(Double)
    }

    /// The operator's single switch for the doubtful cases.
    public enum Mode: String, Hashable, Sendable, CaseIterable {
        case log, reject, score
    }

    public var syntaxError: Rule = .reject
    public var claimsToBeUs: Rule = .reject
    public var literalMismatch: Rule = .log
    public var nameDoesNotExist: Rule = .log
    public var mismatch: Rule = .log

    public init() {}

    /// `log` (the default), `reject` (550 5.7.1 for mismatches and unknown
    /// names), or `score` (1.0 for a mismatch or a wrong literal, 2.0 for a
    /// name that does not exist). Syntax errors and claims to be us are
    /// refused in every mode.
    public init(mode: Mode) {
        switch mode {
        case .log: break
        case .reject: (literalMismatch, nameDoesNotExist, mismatch) = (.reject, .reject, .reject)
        case .score: (literalMismatch, nameDoesNotExist, mismatch) = (.score(1), .score(2), .score(1))
        }
    }

    public func action(for verdict: HeloVerdict) -> Action {
        let rule: Rule
        switch verdict.outcome {
        case .forwardConfirmed, .literalConfirmed, .temporaryFailure: return .accept
        case .syntaxError: rule = syntaxError
        case .claimsToBeUs: rule = claimsToBeUs
        case .literalMismatch: rule = literalMismatch
        case .nameDoesNotExist: rule = nameDoesNotExist
        case .mismatch: rule = mismatch
        }
        switch rule {
        case .log: return .accept
        case .score(let points): return .score(points)
        case .reject: return .reject(Self.reply(for: verdict))
        }
    }

    /// The refusal for a verdict: 501 5.5.2 for bad syntax (RFC 5321
    /// § 4.3.2 lists 501 for EHLO/HELO argument errors), 550 5.7.1
    /// (RFC 3463: delivery not authorized) for the rest.
    public static func reply(for verdict: HeloVerdict) -> SMTPReply {
        let name = WireText.word(verdict.helo)
        let real = HeloVerdict.literal(verdict.clientAddress)
        switch verdict.outcome {
        case .syntaxError:
            return SMTPReply(501, EnhancedStatusCode(5, 5, 2), "Invalid HELO name: neither a domain nor an address literal")
        case .claimsToBeUs:
            return SMTPReply(550, EnhancedStatusCode(5, 7, 1), "HELO \(name) refused: you are not us, your address is \(real)")
        case .literalMismatch:
            return SMTPReply(550, EnhancedStatusCode(5, 7, 1), "HELO \(name) refused: your address is \(real)")
        case .nameDoesNotExist:
            return SMTPReply(550, EnhancedStatusCode(5, 7, 1), "HELO \(name) refused: no such domain")
        case .mismatch, .forwardConfirmed, .literalConfirmed, .temporaryFailure:
            return SMTPReply(550, EnhancedStatusCode(5, 7, 1), "HELO \(name) refused: failed to verify, real address is \(real)")
        }
    }
}
