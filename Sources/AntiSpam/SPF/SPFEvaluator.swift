import DNS
import Foundation

/// Evaluates SPF (RFC 7208) for a connecting client: check_host() with all
/// mechanisms, modifiers and macros, the § 4.6.4 lookup limits, and the
/// explanation for "fail". A value over any `DNSResolving`, so tests give it
/// an in-memory resolver and the server its caching `StubResolver`.
public struct SPFEvaluator: Sendable {
    public var resolver: any DNSResolving
    /// This host's name, for %{r} in explanations and for headers.
    public var receiver: String
    public var limits: SPFLimits
    /// The clock for %{t}.
    public var now: @Sendable () -> Date

    public init(
        resolver: any DNSResolving, receiver: String = "unknown", limits: SPFLimits = .rfc7208,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.resolver = resolver
        self.receiver = receiver
        self.limits = limits
        self.now = now
    }

    /// Checks the MAIL FROM identity (RFC 7208 § 2.4): the reverse-path, or
    /// postmaster@`helo` when it is empty (a bounce). `mailFrom` may carry
    /// its angle brackets.
    public func evaluate(ip: String, mailFrom: String, helo: String) async -> SPFOutcome {
        var path = mailFrom.trimmingCharacters(in: .whitespaces)
        if path.hasPrefix("<") && path.hasSuffix(">") && path.count >= 2 { path = String(path.dropFirst().dropLast()) }
        if path.isEmpty { path = "postmaster@" + helo }
        let domain = path.lastIndex(of: "@").map { String(path[path.index(after: $0)...]) } ?? path
        return await checkHost(ip: ip, domain: domain, sender: path, helo: helo, identity: .mailfrom)
    }

    /// Checks the HELO identity on its own (RFC 7208 § 2.3), as sender
    /// postmaster@`helo`.
    public func evaluateHELO(ip: String, helo: String) async -> SPFOutcome {
        await checkHost(ip: ip, domain: helo, sender: "postmaster@" + helo, helo: helo, identity: .helo)
    }

    /// check_host(<ip>, <domain>, <sender>) of RFC 7208 § 4, with `helo`
    /// for the %{h} macro. A sender without a local-part ("@example.com" or
    /// "example.com") gets "postmaster" (§ 4.3).
    public func checkHost(
        ip: String, domain: String, sender: String, helo: String, identity: SPFIdentity = .mailfrom
    ) async -> SPFOutcome {
        var outcome = SPFOutcome(result: .none, domain: domain, sender: sender, identity: identity)
        guard let client = SPFClientAddress(ip) else {
            outcome.problem = "\(ip) is not an IP address"
            return outcome
        }
        var local = "postmaster"
        var senderDomain = sender
        if let at = sender.lastIndex(of: "@") {
            if at != sender.startIndex { local = String(sender[..<at]) }
            senderDomain = String(sender[sender.index(after: at)...])
        }
        outcome.sender = local + "@" + senderDomain
        let context = SPFMacroContext(
            client: client, sender: outcome.sender, localPart: local, senderDomain: senderDomain, helo: helo,
            receiver: receiver, timestamp: Int(now().timeIntervalSince1970))
        var run = SPFRun(resolver: resolver, limits: limits, context: context)
        do {
            let verdict = try await run.check(domain, wantsExplanation: true)
            outcome.result = verdict.result
            outcome.mechanism = verdict.mechanism
            outcome.problem = verdict.problem
            outcome.explanation = verdict.explanation
        } catch {
            switch error {
            case .temperror(let problem): (outcome.result, outcome.problem) = (.temperror, problem)
            case .permerror(let problem): (outcome.result, outcome.problem) = (.permerror, problem)
            }
        }
        return outcome
    }
}

/// Ends an evaluation early with an error result (RFC 7208 § 2.6.6, § 2.6.7).
enum SPFAbort: Error, Hashable {
    case temperror(String)
    case permerror(String)
}

/// What one check_host() level decided: none, neutral, pass, fail or softfail.
struct SPFVerdict: Hashable {
    var result: SPFResult
    var mechanism: String?
    var problem: String?
    var explanation: String?
}
