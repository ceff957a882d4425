import DNS
import MailCore

/// Asks every configured blocklist about an address or a domain, all at once.
///
/// Caching is the resolver's job (`StubResolver` keeps positive and negative
/// answers for their TTL), so a connection storm from one client costs one
/// query per list, not one per connection.
public struct BlocklistChecker: Sendable {
    public let lists: [BlocklistConfiguration]
    private let resolver: any DNSResolving

    public init(lists: [BlocklistConfiguration], resolver: any DNSResolving) {
        self.lists = lists
        self.resolver = resolver
    }

    /// Every `.ip` list's verdict on a client address, in configuration order.
    public func check(address: MailCore.IPAddress) async -> [BlocklistVerdict] {
        await check(lists.filter { $0.kind == .ip }, subject: address.description) {
            BlocklistQueryName.forAddress(address, zone: $0.zone)
        }
    }

    /// Every `.domain` list's verdict on a domain (e.g. the MAIL FROM
    /// domain), in configuration order.
    public func check(domain: String) async -> [BlocklistVerdict] {
        let subject = BlocklistQueryName.normalizedDomain(domain)
        return await check(lists.filter { $0.kind == .domain }, subject: subject) {
            BlocklistQueryName.forDomain(subject, zone: $0.zone)
        }
    }

    private func check(
        _ selected: [BlocklistConfiguration], subject: String, name: (BlocklistConfiguration) -> String
    ) async -> [BlocklistVerdict] {
        let queries = selected.map { (list: $0, name: name($0)) }
        return await withTaskGroup(of: (Int, BlocklistVerdict).self) { group in
            for (index, query) in queries.enumerated() {
                group.addTask { [resolver] in
                    (index, await Self.ask(resolver, query.list, subject: subject, name: query.name))
                }
            }
            var verdicts = [BlocklistVerdict?](repeating: nil, count: queries.count)
            for await (index, verdict) in group { verdicts[index] = verdict }
            return verdicts.compactMap { $0 }
        }
    }

    /// One list: the A lookup decides (RFC 5782 § 2.1: "the A record is the
    /// one that matters"); the TXT record only explains a listing.
    private static func ask(
        _ resolver: any DNSResolving, _ list: BlocklistConfiguration, subject: String, name: String
    ) async -> BlocklistVerdict {
        func verdict(_ answers: [String], _ outcome: BlocklistVerdict.Outcome) -> BlocklistVerdict {
            BlocklistVerdict(list: list, subject: subject, queryName: name, answers: answers, outcome: outcome)
        }
        let answers: [String]
        do {
            answers = try await resolver.a(name)
        } catch .nameDoesNotExist {
            return verdict([], .notListed)
        } catch {
            return verdict([], .noAnswer(error))
        }
        let meanings = answers.map(list.meaning(ofAnswer:))
        // An error answer next to a listing makes the whole reply suspect.
        if meanings.contains(.refused) { return verdict(answers, .refused) }
        guard meanings.contains(.listed) else { return verdict(answers, .notListed) }
        let texts = (try? await resolver.txt(name)) ?? []
        let reason = texts.isEmpty ? nil : texts.joined(separator: " ")
        return verdict(answers, .listed(reason: reason))
    }
}
