import Configuration
import DKIM
import DNS
import Foundation
import Queue

/// Collects the facts from the data directory, the disk and (unless offline)
/// the DNS. Reads only: it creates nothing in the data directory.
public struct DoctorGatherer: Sendable {
    public var dataDirectory: DataDirectory
    /// nil: offline, no DNS questions at all.
    public var dns: DoctorDNSGatherer?
    public var now: Date

    public init(dataDirectory: DataDirectory, dns: DoctorDNSGatherer?, now: Date = Date()) {
        self.dataDirectory = dataDirectory
        self.dns = dns
        self.now = now
    }

    public func gather() async -> DoctorFacts {
        var facts = DoctorFacts(dataDirectory: dataDirectory.root, now: now)
        facts.disk = Self.disk(dataDirectory.root)
        guard dataDirectory.exists else {
            facts.configurationProblems = [
                "\(dataDirectory.root) is not a SIMS data directory (no sims.toml); create one with "
                    + "'sims init --data \(dataDirectory.root)'"
            ]
            return facts
        }
        let configuration: ServerConfiguration
        do {
            configuration = try dataDirectory.loadConfiguration()
        } catch let error as InvalidConfiguration {
            facts.configurationProblems = error.problems.map { "sims.toml: \($0)" }
            return facts
        } catch {
            facts.configurationProblems = ["sims.toml: \(error)"]
            return facts
        }
        facts.configuration = configuration
        facts.gateways = RouteTable.read()
        facts.certificate = CertificateInspection.facts(
            certificatePath: dataDirectory.resolve(configuration.tlsCertificate),
            keyPath: dataDirectory.resolve(configuration.tlsKey))
        (facts.localDomains, facts.directoryProblem) = localDomains(configuration)
        facts.queue = queue(configuration)
        facts.dkimKeys = PublishedRecords.dkimKeys(DKIMKeyStore(dataDirectory: dataDirectory.root))
        if let dns {
            facts.dns = await dns.gather(hostname: configuration.hostname, domains: facts.localDomains ?? [])
            facts.dkim = await dns.gatherDKIM(facts.dkimKeys)
        } else {
            facts.dnsSkipped = "--offline"
        }
        return facts
    }

    func localDomains(_ configuration: ServerConfiguration) -> ([String]?, String?) {
        let path = dataDirectory.resolve(configuration.storage.database)
        guard FileManager.default.fileExists(atPath: path) else { return (nil, "\(path) does not exist") }
        do {
            return (try dataDirectory.openDirectory(configuration).domains().map { $0.name.lowercased() }, nil)
        } catch {
            return (nil, "cannot read \(path): \(error)")
        }
    }

    /// The queue as `sims queue list` sees it; an absent spool is an empty one.
    func queue(_ configuration: ServerConfiguration) -> QueueFacts? {
        let root = dataDirectory.resolve(configuration.storage.queueDirectory)
        guard FileManager.default.fileExists(atPath: "\(root)/envelopes") else { return QueueFacts(count: 0, oldest: nil) }
        guard let spool = try? Spool(root: root, sync: configuration.storage.sync), let listing = try? spool.listing() else {
            return nil
        }
        return QueueFacts(count: listing.count, oldest: listing.first?.created)
    }

    /// statvfs(3) of the data directory's file system.
    static func disk(_ path: String) -> DiskFacts? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let block = UInt64(info.f_frsize)
        return DiskFacts(
            path: path, totalBytes: UInt64(info.f_blocks) * block, availableBytes: UInt64(info.f_bavail) * block)
    }
}
