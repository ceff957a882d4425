import ArgumentParser
import Configuration
import DKIM
import Foundation
import MailStore
import Operator

/// `sims dkim`: the signing keys of the local domains.
struct DKIMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dkim", abstract: "Make and list DKIM signing keys (RFC 6376, RFC 8463).",
        subcommands: [Generate.self, List.self])

    enum Algorithms: String, ExpressibleByArgument, CaseIterable {
        case both, rsa, ed25519

        var list: [DKIMAlgorithm] {
            switch self {
            case .both: return [.ed25519SHA256, .rsaSHA256]
            case .rsa: return [.rsaSHA256]
            case .ed25519: return [.ed25519SHA256]
            }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make signing keys for a local domain and print the DNS records to publish.",
            usage: """
                sims dkim generate <domain> [--selector <selector>]
                       [--algorithm both|rsa|ed25519] [--data <data>]
                """,
            discussion: """
                Writes dkim/DOMAIN/SELECTOR.TYPE.pem in the data directory (mode 0600). With both algorithms \
                (the default) the selectors are SELECTOR-ed25519 and SELECTOR-rsa. The server signs with every \
                key of a domain from its next start or SIGHUP; publish the records first.
                """)
        @Argument(help: "A local domain.") var domain: String
        @Option(help: "The selector (default: s and today's date, e.g. s20261207).") var selector: String?
        @Option(help: "both, rsa or ed25519.") var algorithm: Algorithms = .both
        @OptionGroup var options: DataOption

        func run() throws {
            let (directory, dataDirectory, _) = try openDirectory(options)
            let domain = domain.lowercased()
            guard try directory.domains().contains(where: { $0.name.lowercased() == domain }) else {
                throw CommandFailure(
                    "\(domain) is not a local domain: DKIM keys are made only for domains this server sends for ('sims domain add \(domain)' first)"
                )
            }
            let base = selector ?? Self.defaultSelector(Date())
            let store = DKIMKeyStore(dataDirectory: dataDirectory.root)
            let planned = algorithm.list.map { algorithm in
                (algorithm, self.algorithm == .both ? "\(base)-\(algorithm.keyType)" : base)
            }
            // Everything is checked before a key is written: no half-made pair.
            // A selector names one DNS record, so one key per selector, whatever its type.
            let existing = try store.entries().filter { $0.domain == domain }
            for (_, selector) in planned {
                guard DKIMKeyStore.isValidSelector(selector) else {
                    throw ValidationError("\(selector.debugDescription) is not a valid selector (letters, digits and hyphens)")
                }
                if let taken = existing.first(where: { $0.selector.lowercased() == selector.lowercased() }) {
                    throw CommandFailure(
                        "\(domain) already has a key with the selector \(selector) (\(taken.path)); a published key is never replaced: choose another --selector"
                    )
                }
            }
            var records: [String] = []
            for (algorithm, selector) in planned {
                let key = try DKIMPrivateKey.generate(algorithm)
                let entry = try store.store(key, domain: domain, selector: selector)
                print("; wrote \(entry.path)")
                records.append("\(selector)._domainkey.\(domain). IN TXT \(DNSTextRecord.zoneText(key.dnsRecord))")
            }
            print("; publish in the zone of \(domain), then send the server SIGHUP (or restart it) to sign with the new keys:")
            for record in records { print(record) }
        }

        /// `s` and the date in UTC: a new selector each day a key is made,
        /// so a rotation never reuses a published name.
        static func defaultSelector(_ now: Date) -> String {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
            let parts = calendar.dateComponents([.year, .month, .day], from: now)
            func digits(_ value: Int?, _ width: Int) -> String {
                let text = String(value ?? 1)
                return String(repeating: "0", count: max(0, width - text.count)) + text
            }
            return "s" + digits(parts.year, 4) + digits(parts.month, 2) + digits(parts.day, 2)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the signing keys: domain, selector, algorithm, file.")
        @OptionGroup var options: DataOption

        func run() throws {
            let (_, dataDirectory, _) = try openDirectory(options)
            let keys = PublishedRecords.dkimKeys(DKIMKeyStore(dataDirectory: dataDirectory.root))
            if keys.isEmpty { print("no DKIM keys; make some with 'sims dkim generate DOMAIN'") }
            for key in keys {
                let state = key.problem.map { "  UNUSABLE: \($0)" } ?? ""
                print("\(key.domain)  \(key.selector)  \(key.algorithm.rawValue)\(state)")
            }
        }
    }
}
