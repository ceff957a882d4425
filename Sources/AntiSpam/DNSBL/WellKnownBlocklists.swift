import MailCore

/// The lists `sims dnsbl` asks by default, as the multi-list lookup sites do.
/// Widely used, free for low-volume queries; each may refuse queries that
/// come through a large public resolver (answer 127.255.255.x or, for
/// URIBL, 127.0.0.1), which `sims dnsbl` reports as "refused".
public enum WellKnownBlocklists {
    /// Address lists (DNSxL).
    public static let addressLists: [BlocklistConfiguration] = [
        BlocklistConfiguration(zone: "zen.spamhaus.org", listedAnswers: ranges("127.0.0.2-127.0.0.11"), name: "Spamhaus ZEN"),
        BlocklistConfiguration(zone: "bl.spamcop.net", name: "SpamCop"),
        BlocklistConfiguration(zone: "b.barracudacentral.org", name: "Barracuda"),
        BlocklistConfiguration(zone: "dnsbl.sorbs.net", name: "SORBS"),
        BlocklistConfiguration(zone: "psbl.surriel.com", name: "PSBL"),
        BlocklistConfiguration(zone: "bl.mailspike.net", name: "Mailspike"),
        BlocklistConfiguration(zone: "ix.dnsbl.manitu.net", name: "NiX Spam"),
        BlocklistConfiguration(zone: "all.s5h.net", name: "s5h"),
        BlocklistConfiguration(zone: "dnsbl-1.uceprotect.net", name: "UCEPROTECT level 1"),
    ]

    /// Domain lists (RHSBL).
    public static let domainLists: [BlocklistConfiguration] = [
        BlocklistConfiguration(
            zone: "dbl.spamhaus.org", kind: .domain, listedAnswers: ranges("127.0.1.2-127.0.1.254"),
            refusedAnswers: ranges("127.255.255.0/24", "127.0.1.255"), name: "Spamhaus DBL"),
        BlocklistConfiguration(
            zone: "multi.surbl.org", kind: .domain, listedAnswers: ranges("127.0.0.2-127.0.0.255"), name: "SURBL"),
        BlocklistConfiguration(
            zone: "multi.uribl.com", kind: .domain, listedAnswers: ranges("127.0.0.2-127.0.0.254"),
            refusedAnswers: ranges("127.0.0.1", "127.0.0.255", "127.255.255.0/24"), name: "URIBL"),
    ]

    /// The well-known list for `zone`, or a list with the defaults.
    public static func list(zone: String, kind: BlocklistConfiguration.Kind) -> BlocklistConfiguration {
        let zone = BlocklistQueryName.normalizedDomain(zone)
        let known = (kind == .ip ? addressLists : domainLists).first { $0.zone == zone }
        return known ?? BlocklistConfiguration(zone: zone, kind: kind)
    }

    private static func ranges(_ texts: String...) -> [IPAddressRange] { texts.map { IPAddressRange($0)! } }
}
