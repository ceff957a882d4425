import MailCore

/// What the EHLO/HELO check found, with the evidence for the log line.
public struct HeloVerdict: Hashable, Sendable, CustomStringConvertible {
    public enum Outcome: Hashable, Sendable {
        /// Neither a domain nor an address literal (RFC 5321 § 4.1.1.1).
        case syntaxError
        /// The client names us, one of our domains or addresses, or localhost,
        /// while connecting from elsewhere. The associated text says which.
        case claimsToBeUs(String)
        /// An address literal that is not the connecting address.
        case literalMismatch
        /// An address literal that is the connecting address.
        case literalConfirmed
        /// NXDOMAIN for the name.
        case nameDoesNotExist
        /// The name exists but none of its addresses (listed) is the client's.
        case mismatch(resolved: [String])
        /// The name resolves to the connecting address (forward-confirmed).
        case forwardConfirmed
        /// DNS failed temporarily: not verified, never refused (fail open).
        case temporaryFailure(String)
    }

    /// The argument as the client sent it.
    public var helo: String
    /// The connecting address as the socket reports it.
    public var clientAddress: String
    public var outcome: Outcome

    public init(helo: String, clientAddress: String, outcome: Outcome) {
        self.helo = helo
        self.clientAddress = clientAddress
        self.outcome = outcome
    }

    /// True when the name or literal was shown to belong to the client.
    public var isVerified: Bool { outcome == .forwardConfirmed || outcome == .literalConfirmed }

    public var severity: VerdictSeverity {
        switch outcome {
        case .forwardConfirmed, .literalConfirmed: return .pass
        case .temporaryFailure: return .undetermined
        case .literalMismatch, .nameDoesNotExist, .mismatch: return .suspicious
        case .syntaxError, .claimsToBeUs: return .failure
        }
    }

    /// A short name for metrics and the Authentication-Results comment.
    public var summary: String {
        switch outcome {
        case .syntaxError: return "invalid"
        case .claimsToBeUs: return "claims-to-be-us"
        case .literalMismatch: return "literal-mismatch"
        case .literalConfirmed, .forwardConfirmed: return "verified"
        case .nameDoesNotExist: return "nxdomain"
        case .mismatch: return "mismatch"
        case .temporaryFailure: return "temperror"
        }
    }

    /// The log line, in the original product's words where it had them:
    /// `HELO hurdle: failed to verify, real address is [203.0.113.5]`, then the evidence.
    public var logText: String {
        let real = "real address is \(Self.literal(clientAddress))"
        let name = LogField.word(helo.prefix(255))
        switch outcome {
        case .syntaxError: return "HELO hurdle: \(name) is neither a domain nor an address literal, \(real)"
        case .claimsToBeUs(let what): return "HELO hurdle: \(name) claims to be us (\(what)), \(real)"
        case .literalMismatch: return "HELO hurdle: address literal \(name) is not the client's, \(real)"
        case .literalConfirmed: return "HELO verified: \(name) is the client's address"
        case .nameDoesNotExist: return "HELO hurdle: failed to verify, \(real) (\(name) does not exist)"
        case .mismatch(let resolved):
            let evidence = resolved.isEmpty ? "\(name) has no address" : "\(name) resolves to \(resolved.joined(separator: ", "))"
            return "HELO hurdle: failed to verify, \(real) (\(evidence))"
        case .forwardConfirmed: return "HELO verified: \(name) resolves to \(Self.literal(clientAddress))"
        case .temporaryFailure(let detail): return "HELO hurdle: cannot verify \(name) now (\(detail)), \(real); accepted"
        }
    }

    public var description: String { logText }

    /// The `from` clause of the Received header (RFC 5321 § 4.4), showing the
    /// verified truth: `claimed.example (claimed.example [203.0.113.5])` when
    /// the name was forward-confirmed, `claimed.example ([203.0.113.5])` when it
    /// was not, so a forged HELO stands out to the reader.
    public var receivedFrom: String {
        let name = WireText.word(helo.isEmpty ? "unknown" : helo)
        let address = Self.literal(clientAddress)
        if outcome == .forwardConfirmed, let verified = HeloName(helo), case .domain(let domain) = verified {
            return "\(name) (\(domain) \(address))"
        }
        return "\(name) (\(address))"
    }

    static func literal(_ address: String) -> String {
        MailCore.IPAddress(address)?.literalText ?? "[\(address)]"
    }
}

extension HeloVerdict {
    /// The name as forward-confirmed DNS showed it, for the Received header; nil unless verified.
    public var verifiedName: String? {
        guard outcome == .forwardConfirmed, let name = HeloName(helo), case .domain(let domain) = name else { return nil }
        return domain
    }
}
