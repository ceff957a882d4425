import DNS

/// One check_host() evaluation with its nested include and redirect levels,
/// carrying the shared lookup budget of RFC 7208 § 4.6.4.
struct SPFRun {
    let resolver: any DNSResolving
    let limits: SPFLimits
    let context: SPFMacroContext
    /// Terms that caused DNS queries so far (include, a, mx, ptr, exists, redirect).
    private(set) var dnsTerms = 0
    /// Lookups that answered NXDOMAIN or no records.
    private(set) var voidLookups = 0

    init(resolver: any DNSResolving, limits: SPFLimits, context: SPFMacroContext) {
        self.resolver = resolver
        self.limits = limits
        self.context = context
    }

    /// check_host() for `domain` (§ 4). Returns none, neutral, pass, fail or
    /// softfail; temperror and permerror end the whole evaluation.
    /// `wantsExplanation` is false inside include, whose exp= is never used.
    mutating func check(_ domain: String, wantsExplanation: Bool) async throws(SPFAbort) -> SPFVerdict {
        // § 4.3: a malformed or single-label domain gives "none" without a lookup.
        guard SPFDomainName.isValid(domain) else {
            return SPFVerdict(result: .none, problem: "\(domain.debugDescription) is not a valid domain name")
        }
        let name = SPFDomainName.truncated(domain)
        guard let text = try await selectRecord(name) else {
            return SPFVerdict(result: .none, problem: "no SPF record at \(name)")
        }
        let record: SPFRecord
        do { record = try SPFRecordParser.parse(text) } catch { throw .permerror("\(name): \(error.message)") }

        for directive in record.directives {
            if directive.mechanism.queriesDNS { try countDNSTerm(directive.text) }
            guard try await matches(directive.mechanism, domain: name) else { continue }
            var verdict = SPFVerdict(result: directive.qualifier.result, mechanism: directive.text)
            if verdict.result == .fail, wantsExplanation, let exp = record.explanation {
                verdict.explanation = await explanation(exp, domain: name)
            }
            return verdict
        }
        // § 6.1: redirect applies only when no mechanism matched (an "all"
        // always matches, so a record with one never gets here).
        if let redirect = record.redirect {
            try countDNSTerm("redirect=\(redirect.text)")
            let target = await expand(redirect, domain: name)
            let verdict = try await check(target, wantsExplanation: wantsExplanation)
            // "if no SPF record is found, ... the result is a permerror" (§ 6.1).
            guard verdict.result != .none else {
                throw .permerror("redirect=\(redirect.text): \(verdict.problem ?? "no SPF record")")
            }
            return verdict
        }
        return SPFVerdict(result: .neutral, mechanism: "default")
    }

    /// The one v=spf1 record among the TXT records at `name` (§ 4.4, § 4.5):
    /// nil when there is none or the name does not exist, permerror for two.
    private mutating func selectRecord(_ name: String) async throws(SPFAbort) -> String? {
        let texts: [String]
        do {
            texts = try await resolver.txt(name)
        } catch {
            if case .nameDoesNotExist = error { return nil }
            throw .temperror("TXT lookup for \(name): \(error)")
        }
        let records = texts.filter(SPFRecordParser.isSPFRecord)
        guard records.count <= 1 else { throw .permerror("\(name) publishes \(records.count) SPF records") }
        return records.first
    }

    private mutating func countDNSTerm(_ term: String) throws(SPFAbort) {
        dnsTerms += 1
        if dnsTerms > limits.dnsTerms {
            throw .permerror("more than \(limits.dnsTerms) DNS-querying terms (at \(term))")
        }
    }

    /// Counts a lookup that found nothing; over the limit is a permerror (§ 4.6.4).
    mutating func countVoidLookup(_ name: String) throws(SPFAbort) {
        voidLookups += 1
        if voidLookups > limits.voidLookups {
            throw .permerror("more than \(limits.voidLookups) void DNS lookups (at \(name))")
        }
    }

    /// Expands a domain-spec for `domain` and shortens it to 253 characters (§ 7.3).
    func expand(_ spec: SPFMacroString, domain: String) async -> String {
        let context = self.context
        let expanded = await spec.expand { letter in
            await context.value(letter, domain: domain) { await self.validatedName(target: domain) }
        }
        return SPFDomainName.truncated(expanded)
    }
}
