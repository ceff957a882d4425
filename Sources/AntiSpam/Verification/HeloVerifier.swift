import DNS
import MailCore

/// Checks the EHLO/HELO argument against the connecting address.
///
/// In order: syntax; whether the client claims to be us (our host names, our
/// local domains, our addresses, or localhost, from a client that is neither
/// loopback nor one of our addresses — so local tools and our own queue are
/// never refused; `loopbackIsUs: false` checks loopback clients like any
/// other, for a server whose operator chose to check them); an address literal against the client's address; and a
/// name's A and AAAA records against the client's address (forward
/// confirmation). DNS trouble gives `.temporaryFailure`, which the policy
/// never refuses: a broken resolver must not stop the mail.
public struct HeloVerifier: Sendable {
    private let resolver: any DNSResolving
    private let ourHostnames: Set<String>
    private let localDomains: @Sendable () -> Set<String>
    private let ourAddresses: Set<MailCore.IPAddress>
    private let loopbackIsUs: Bool

    /// `localDomains` is asked at each check, so domains added at run time
    /// count at once; names are compared case-insensitively.
    public init(
        resolver: any DNSResolving, ourHostnames: Set<String>,
        localDomains: @escaping @Sendable () -> Set<String> = { [] }, ourAddresses: [String] = [],
        loopbackIsUs: Bool = true
    ) {
        self.loopbackIsUs = loopbackIsUs
        self.resolver = resolver
        self.ourHostnames = Set(ourHostnames.map { Self.normalise($0) })
        self.localDomains = localDomains
        self.ourAddresses = Set(ourAddresses.compactMap { MailCore.IPAddress($0) })
    }

    public func verify(helo: String, clientAddress: String) async -> HeloVerdict {
        func verdict(_ outcome: HeloVerdict.Outcome) -> HeloVerdict {
            HeloVerdict(helo: helo, clientAddress: clientAddress, outcome: outcome)
        }
        guard let name = HeloName(helo) else { return verdict(.syntaxError) }
        let client = MailCore.IPAddress(clientAddress)
        let clientIsUs = client.map { ($0.isLoopback && loopbackIsUs) || ourAddresses.contains($0) } ?? false

        switch name {
        case .literal(let address):
            if !clientIsUs, address.isLoopback || ourAddresses.contains(address) {
                return verdict(.claimsToBeUs(address.isLoopback ? "a loopback address" : "our address \(address)"))
            }
            return verdict(address == client ? .literalConfirmed : .literalMismatch)
        case .domain(let domain):
            if let claim = claim(domain), !clientIsUs { return verdict(.claimsToBeUs(claim)) }
            // RFC 6761 § 6.3: localhost names resolve to loopback without asking DNS.
            if Self.isLocalhost(domain) {
                return verdict(client?.isLoopback == true ? .forwardConfirmed : .mismatch(resolved: []))
            }
            return verdict(await resolve(domain, client: client))
        }
    }

    /// What an outside client claims by using `domain`, if it is ours.
    private func claim(_ domain: String) -> String? {
        if ourHostnames.contains(domain) { return "our host name \(domain)" }
        if localDomains().contains(where: { Self.normalise($0) == domain }) { return "our local domain \(domain)" }
        if Self.isLocalhost(domain) { return "localhost" }
        return nil
    }

    private func resolve(_ domain: String, client: MailCore.IPAddress?) async -> HeloVerdict.Outcome {
        async let v4 = lookup { () async throws(DNSError) in try await resolver.a(domain) }
        async let v6 = lookup { () async throws(DNSError) in try await resolver.aaaa(domain) }
        let results = await [v4, v6]
        var resolved: [String] = []
        var errors: [DNSError] = []
        for result in results {
            switch result {
            case .success(let addresses): resolved += addresses
            case .failure(let error): errors.append(error)
            }
        }
        if let client, resolved.contains(where: { MailCore.IPAddress($0) == client }) { return .forwardConfirmed }
        if let temporary = errors.first(where: \.isTemporary) { return .temporaryFailure(temporary.description) }
        // Both families NXDOMAIN (some servers answer NXDOMAIN for a missing
        // type too, so one NXDOMAIN beside an empty answer counts as well).
        if resolved.isEmpty && !errors.isEmpty { return .nameDoesNotExist }
        return .mismatch(resolved: resolved)
    }

    private func lookup(_ query: () async throws(DNSError) -> [String]) async -> Result<[String], DNSError> {
        do { return .success(try await query()) } catch { return .failure(error) }
    }

    static func normalise(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }

    static func isLocalhost(_ domain: String) -> Bool {
        domain == "localhost" || domain.hasSuffix(".localhost") || domain == "localhost.localdomain"
    }
}
