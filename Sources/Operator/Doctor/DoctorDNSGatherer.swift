import DNS

/// Asks the DNS about the hostname and the local domains, every question at
/// once, within a time budget: a lookup without an answer by then is "could
/// not check", so doctor finishes in seconds even with no network.
public struct DoctorDNSGatherer: Sendable {
    let resolver: any DNSResolving
    /// How long each round of questions may take (the PTR round follows the
    /// address round).
    let budget: Duration

    public init(resolver: any DNSResolving, budget: Duration) {
        self.resolver = resolver
        self.budget = budget
    }

    /// Names under reserved test TLDs are left out.
    public func gather(hostname: String, domains: [String]) async -> DNSFacts {
        let host = ReservedNames.isReserved(hostname) ? nil : hostname
        let domains = domains.filter { !ReservedNames.isReserved($0) }
        var first: [Question] = domains.flatMap { [.mx($0), .txt($0), .txt("_dmarc.\($0)")] }
        if let host { first += [.a(host), .aaaa(host)] }
        let answers = await ask(first)

        var facts = DNSFacts()
        if let host {
            let addresses = Self.combine(answers[.a(host)] ?? .failed("not asked"), answers[.aaaa(host)] ?? .failed("not asked"))
            var hostFacts = HostnameFacts(name: host, addresses: addresses)
            if case .answer(let found) = addresses, !found.isEmpty {
                let reverse = await ask(found.map { .ptr($0) })
                for address in found {
                    hostFacts.reverse[address] = (reverse[.ptr(address)] ?? .failed("not asked")).map(\.strings)
                }
            }
            facts.hostname = hostFacts
        }
        facts.domains = domains.map { domain in
            DomainFacts(
                name: domain, mx: (answers[.mx(domain)] ?? .failed("not asked")).map(\.exchangers),
                txt: (answers[.txt(domain)] ?? .failed("not asked")).map(\.strings),
                dmarc: (answers[.txt("_dmarc.\(domain)")] ?? .failed("not asked")).map(\.strings))
        }
        return facts
    }

    enum Question: Hashable, Sendable {
        case a(String), aaaa(String), mx(String), txt(String), ptr(String)
    }

    enum Reply: Sendable {
        case strings([String])
        case exchangers([MXRecord])

        var strings: [String] {
            guard case .strings(let values) = self else { return [] }
            return values
        }
        var exchangers: [MailExchanger] {
            guard case .exchangers(let values) = self else { return [] }
            return values.map { MailExchanger(preference: Int($0.preference), exchange: $0.exchange) }
        }
    }

    /// Every question concurrently; those unanswered when the budget runs out
    /// are cancelled and come back as failed.
    func ask(_ questions: [Question]) async -> [Question: DoctorLookup<Reply>] {
        guard !questions.isEmpty else { return [:] }
        let resolver = self.resolver
        let budget = self.budget
        var results = await withTaskGroup(of: (Question, DoctorLookup<Reply>)?.self) { group in
            for question in questions {
                group.addTask { (question, await Self.lookUp(question, resolver)) }
            }
            group.addTask {
                try? await Task.sleep(for: budget)
                return nil
            }
            var results: [Question: DoctorLookup<Reply>] = [:]
            while let next = await group.next() {
                guard let (question, answer) = next else { break }
                results[question] = answer
                if results.count == questions.count { break }
            }
            group.cancelAll()
            return results
        }
        let seconds = budget.timeInterval
        for question in questions where results[question] == nil {
            results[question] = .failed("no answer within \(seconds) s")
        }
        return results
    }

    static func lookUp(_ question: Question, _ resolver: any DNSResolving) async -> DoctorLookup<Reply> {
        do throws(DNSError) {
            switch question {
            case .a(let name): return .answer(.strings(try await resolver.a(name)))
            case .aaaa(let name): return .answer(.strings(try await resolver.aaaa(name)))
            case .mx(let name): return .answer(.exchangers(try await resolver.mx(name)))
            case .txt(let name): return .answer(.strings(try await resolver.txt(name)))
            case .ptr(let address): return .answer(.strings(try await resolver.ptr(address)))
            }
        } catch .nameDoesNotExist {
            return .noSuchName
        } catch {
            return .failed("\(error)")
        }
    }

    /// A and AAAA as one answer: the addresses of either; no such name only
    /// when neither exists; failed when one failed and the other found nothing.
    static func combine(_ v4: DoctorLookup<Reply>, _ v6: DoctorLookup<Reply>) -> DoctorLookup<[String]> {
        switch (v4, v6) {
        case (.answer(let a), .answer(let b)): return .answer(a.strings + b.strings)
        case (.answer(let a), _) where !a.strings.isEmpty: return .answer(a.strings)
        case (_, .answer(let b)) where !b.strings.isEmpty: return .answer(b.strings)
        case (.noSuchName, .noSuchName): return .noSuchName
        case (.failed(let reason), _), (_, .failed(let reason)): return .failed(reason)
        case (.answer, _), (_, .answer): return .answer([])
        default: return .noSuchName
        }
    }
}
