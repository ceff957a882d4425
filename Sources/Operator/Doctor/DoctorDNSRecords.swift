import DKIM
import DNS
import Foundation
import MailCore

/// The DNS records a domain served here needs, one source for both
/// `sims dns-records` (which prints them) and `sims doctor` (which looks
/// them up): MX to this host, SPF, each DKIM key, DMARC; A/AAAA for the
/// hostname and the PTR to ask the address's provider for.
public enum PublishedRecords {
    /// One record in zone-file form: `name. IN TYPE data`.
    public struct Record: Sendable, Equatable {
        public var name: String
        public var type: String
        public var data: String

        public var zoneLine: String { "\(name). IN \(type) \(data)" }
    }

    /// A signing key as the records and checks see it.
    public struct DKIMKey: Sendable, Equatable {
        public var domain: String
        public var selector: String
        public var algorithm: DKIMAlgorithm
        /// The TXT text (`v=DKIM1; k=…; p=…`); nil when the key file cannot be read.
        public var record: String?
        /// Why the key file cannot be used.
        public var problem: String?

        public init(domain: String, selector: String, algorithm: DKIMAlgorithm, record: String?, problem: String? = nil) {
            self.domain = domain
            self.selector = selector
            self.algorithm = algorithm
            self.record = record
            self.problem = problem
        }

        public var name: String { "\(selector)._domainkey.\(domain)" }
    }

    /// The keys in a data directory's key store, each with its record.
    public static func dkimKeys(_ store: DKIMKeyStore) -> [DKIMKey] {
        guard let entries = try? store.entries() else { return [] }
        return entries.map { entry in
            do {
                let key = try store.load(entry)
                return DKIMKey(domain: entry.domain, selector: entry.selector, algorithm: entry.algorithm, record: key.dnsRecord)
            } catch {
                return DKIMKey(
                    domain: entry.domain, selector: entry.selector, algorithm: entry.algorithm, record: nil,
                    problem: "\(error)")
            }
        }
    }

    public static func spf(_ domain: String) -> String { "v=spf1 mx -all" }

    public static func dmarc(_ domain: String) -> String {
        "v=DMARC1; p=quarantine; rua=mailto:postmaster@\(domain)"
    }

    /// MX, SPF, DKIM and DMARC records of one domain.
    public static func domain(_ domain: String, hostname: String, keys: [DKIMKey]) -> [Record] {
        var records = [
            Record(name: domain, type: "MX", data: "10 \(hostname)."),
            Record(name: domain, type: "TXT", data: DNSTextRecord.zoneText(spf(domain))),
        ]
        for key in keys where key.domain == domain {
            guard let text = key.record else { continue }
            records.append(Record(name: key.name, type: "TXT", data: DNSTextRecord.zoneText(text)))
        }
        records.append(Record(name: "_dmarc.\(domain)", type: "TXT", data: DNSTextRecord.zoneText(dmarc(domain))))
        return records
    }

    /// The hostname's A and AAAA records.
    public static func host(_ hostname: String, addresses: [IPAddress]) -> [Record] {
        addresses.map { Record(name: hostname, type: $0.isIPv4 ? "A" : "AAAA", data: $0.description) }
    }

    /// The PTR record each address's provider must publish.
    public static func pointer(_ address: IPAddress, hostname: String) -> Record {
        Record(name: address.reverseName.description.trimmingTrailingDot, type: "PTR", data: "\(hostname).")
    }

    /// The value of a tag in a DKIM tag list (`p`, `k`), white space removed.
    static func tag(_ name: String, in record: String) -> String? {
        for part in record.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespacesAndNewlines) == name else { continue }
            return pair[1].filter { !$0.isWhitespace }
        }
        return nil
    }
}

extension String {
    var trimmingTrailingDot: String { hasSuffix(".") ? String(dropLast()) : self }
}

/// A DKIM key and what the DNS publishes at its selector.
public struct DKIMRecordFacts: Sendable {
    public var key: PublishedRecords.DKIMKey
    /// The TXT records at SELECTOR._domainkey.DOMAIN.
    public var published: DoctorLookup<[String]>

    public init(key: PublishedRecords.DKIMKey, published: DoctorLookup<[String]>) {
        self.key = key
        self.published = published
    }
}

extension DoctorDNSGatherer {
    /// Looks up each key's selector record (names under reserved test TLDs
    /// are left out, as for the other DNS checks).
    public func gatherDKIM(_ keys: [PublishedRecords.DKIMKey]) async -> [DKIMRecordFacts] {
        let keys = keys.filter { !ReservedNames.isReserved($0.domain) }
        let answers = await ask(keys.map { .txt($0.name) })
        return keys.map { key in
            DKIMRecordFacts(key: key, published: (answers[.txt(key.name)] ?? .failed("not asked")).map(\.strings))
        }
    }
}

/// Each signing key's record in the DNS: there, and with the same public
/// key; and each local domain that the DNS checks cover has a key at all.
enum DKIMRecordCheck {
    static func findings(_ facts: DoctorFacts) -> [DoctorFinding] {
        // An unusable key file is found without the DNS, offline too.
        var findings = facts.dkimKeys.filter { $0.record == nil }.map(unreadable)
        guard let dns = facts.dns else { return findings }
        for domain in dns.domains where !facts.dkimKeys.contains(where: { $0.domain == domain.name }) {
            if case .noSuchName = domain.mx { continue }  // reported by the MX check
            findings.append(
                finding(
                    "dkim.no-key", .advice,
                    "\(domain.name) has no DKIM key: mail from it is not signed, and receivers that require DKIM "
                        + "(or DMARC with DKIM) may refuse it.",
                    fix: "Run 'sims dkim generate \(domain.name)', publish the records it prints, and send the server SIGHUP."))
        }
        for fact in facts.dkim where fact.key.record != nil {
            findings += check(fact)
        }
        return findings
    }

    static func check(_ fact: DKIMRecordFacts) -> [DoctorFinding] {
        let key = fact.key
        guard let expected = key.record else { return [] }
        let line = "\(key.name). IN TXT \(DNSTextRecord.zoneText(expected))"
        let records: [String]
        switch fact.published {
        case .failed(let reason):
            return [HostnameCheck.unchecked("the DKIM record \(key.name)", reason, check: "dkim")]
        case .noSuchName: records = []
        case .answer(let found): records = found
        }
        let dkim = records.filter { PublishedRecords.tag("v", in: $0) == "DKIM1" || PublishedRecords.tag("p", in: $0) != nil }
        guard !dkim.isEmpty else {
            return [
                finding(
                    "dkim.missing", .warning,
                    "The DKIM record \(key.name) is not in the DNS: receivers cannot check the \(key.algorithm.rawValue) "
                        + "signatures made with it, and treat the mail as unsigned.",
                    fix: "Publish \(line)")
            ]
        }
        let ours = PublishedRecords.tag("p", in: expected)
        if dkim.contains(where: { PublishedRecords.tag("p", in: $0) == ours }) {
            return [
                finding(
                    "dkim.published", .ok,
                    "\(key.name) publishes the \(key.algorithm.keyType) key that signs \(key.domain)'s mail.")
            ]
        }
        return [
            finding(
                "dkim.different", .warning,
                "The DKIM record \(key.name) holds another public key than the one this server signs with: "
                    + "every signature made with it fails.",
                fix: "Replace it with \(line)")
        ]
    }

    static func unreadable(_ key: PublishedRecords.DKIMKey) -> DoctorFinding {
        finding(
            "dkim.key-unreadable", .warning,
            "The DKIM key \(key.selector) for \(key.domain) cannot be used: \(key.problem ?? "unreadable"). "
                + "Mail is signed with the domain's other keys only.",
            fix: "Remove the file and run 'sims dkim generate \(key.domain)' for a new key.")
    }

    private static func finding(_ id: String, _ severity: DoctorSeverity, _ found: String, fix: String? = nil) -> DoctorFinding {
        DoctorFinding(check: "dkim", id: id, severity: severity, found: found, fix: fix)
    }
}
