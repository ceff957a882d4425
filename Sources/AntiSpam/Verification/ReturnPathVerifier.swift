import DNS
import MailCore

/// Checks that the domain of MAIL FROM can receive mail, so that bounces to
/// the sender have somewhere to go: MX records (not a null MX), or failing
/// those an A or AAAA record (RFC 5321 § 5.1's implicit MX).
///
/// Only MX existence is asked, not the exchangers' addresses: one query for
/// most senders. The null reverse-path `<>` is never checked (RFC 5321
/// § 4.5.5: bounces must be accepted), nor are address literals; the caller
/// passes only real domains (or uses `verify(path:)`, which skips them).
public struct ReturnPathVerifier: Sendable {
    private let resolver: any DNSResolving

    public init(resolver: any DNSResolving) { self.resolver = resolver }

    /// The verdict for a MAIL FROM path; `<>`, `<Postmaster>` and address
    /// literals are accepted without a lookup.
    public func verify(path: EnvelopePath) async -> ReturnPathVerdict {
        guard let domain = path.mailbox?.domain.name else { return ReturnPathVerdict(domain: "", outcome: .notChecked) }
        return await verify(domain: domain)
    }

    public func verify(domain: String) async -> ReturnPathVerdict {
        func verdict(_ outcome: ReturnPathVerdict.Outcome) -> ReturnPathVerdict {
            ReturnPathVerdict(domain: domain, outcome: outcome)
        }
        let records: [MXRecord]
        do {
            records = try await resolver.mx(domain)
        } catch .nameDoesNotExist {
            return verdict(.noSuchDomain)
        } catch {
            return verdict(.temporaryFailure(error.description))
        }
        // RFC 7505 § 3: a single MX whose exchange is the root.
        if records.count == 1 && (records[0].exchange == "." || records[0].exchange.isEmpty) { return verdict(.nullMX) }
        if !records.isEmpty { return verdict(.mailExchanger) }

        // No MX: the implicit MX is the domain's own address (RFC 5321 § 5.1).
        var errors: [DNSError] = []
        for family in [resolver.a, resolver.aaaa] as [(String) async throws(DNSError) -> [String]] {
            do {
                if try await !family(domain).isEmpty { return verdict(.address) }
            } catch {
                errors.append(error)
            }
        }
        if let temporary = errors.first(where: \.isTemporary) { return verdict(.temporaryFailure(temporary.description)) }
        return verdict(.noMailExchanger)
    }
}

/// The outcome of a return-path check and the reply it calls for.
public struct ReturnPathVerdict: Hashable, Sendable, CustomStringConvertible {
    public enum Outcome: Hashable, Sendable {
        /// `<>` or an address literal: nothing to check.
        case notChecked
        /// The domain has MX records.
        case mailExchanger
        /// No MX, but an A or AAAA record (implicit MX).
        case address
        /// RFC 7505 null MX: the domain says it sends no mail that can be answered.
        case nullMX
        /// NXDOMAIN.
        case noSuchDomain
        /// The domain exists but has no MX and no address.
        case noMailExchanger
        /// DNS failed temporarily.
        case temporaryFailure(String)
    }

    public var domain: String
    public var outcome: Outcome

    public init(domain: String, outcome: Outcome) {
        self.domain = domain
        self.outcome = outcome
    }

    public var isAccepted: Bool {
        switch outcome {
        case .notChecked, .mailExchanger, .address: return true
        case .nullMX, .noSuchDomain, .noMailExchanger, .temporaryFailure: return false
        }
    }

    public var severity: VerdictSeverity {
        switch outcome {
        case .notChecked, .mailExchanger, .address: return .pass
        case .temporaryFailure: return .undetermined
        case .nullMX, .noSuchDomain, .noMailExchanger: return .failure
        }
    }

    /// The refusal, or nil when the sender is accepted:
    /// 550 5.1.8 (RFC 3463 "bad sender's system address") for a domain that
    /// does not exist or has nowhere to receive mail; 550 5.7.27 for a null
    /// MX (RFC 7505 § 4.2); 450 4.1.8 when DNS fails, so the sender retries.
    public var reply: SMTPReply? {
        switch outcome {
        case .notChecked, .mailExchanger, .address: return nil
        case .noSuchDomain:
            return SMTPReply(550, EnhancedStatusCode(5, 1, 8), "Sender address rejected: domain \(domain) does not exist")
        case .noMailExchanger:
            return SMTPReply(550, EnhancedStatusCode(5, 1, 8), "Sender address rejected: domain \(domain) has no mail exchanger")
        case .nullMX:
            return SMTPReply(550, EnhancedStatusCode(5, 7, 27), "Sender address rejected: domain \(domain) has a null MX")
        case .temporaryFailure:
            return SMTPReply(
                450, EnhancedStatusCode(4, 1, 8), "Sender address rejected: cannot verify domain \(domain) now, try again later")
        }
    }

    /// The evidence, e.g. `example.invalid does not exist (NXDOMAIN), refused`.
    /// Without a "return path" prefix: every caller names the check and the
    /// path itself (`refused: return path <bob@example.invalid>: …`,
    /// `return-path: …` in Authentication-Results), which once doubled it.
    public var description: String {
        switch outcome {
        case .notChecked: return "not checked"
        case .mailExchanger: return "\(domain) has MX records"
        case .address: return "\(domain) has no MX but an address"
        case .nullMX: return "\(domain) has a null MX (RFC 7505), refused"
        case .noSuchDomain: return "\(domain) does not exist (NXDOMAIN), refused"
        case .noMailExchanger: return "\(domain) has no MX and no address, refused"
        case .temporaryFailure(let detail): return "cannot verify \(domain) now (\(detail)), deferred"
        }
    }
}
