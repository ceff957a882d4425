import DNS
import Synchronization

@testable import AntiSpam

/// An in-memory DNS for SPF tests: names in any table exist (NODATA for
/// other types), other names are NXDOMAIN, names in `timingOut` time out.
/// Counts queries so tests can check what the evaluator asked.
final class SPFTestZone: DNSResolving {
    var txt: [String: [String]] = [:]
    var a: [String: [String]] = [:]
    var aaaa: [String: [String]] = [:]
    var mx: [String: [MXRecord]] = [:]
    /// Keyed by the address as text.
    var ptr: [String: [String]] = [:]
    var timingOut: Set<String> = []
    private let queries = Mutex<[String]>([])

    init() {}

    var asked: [String] { queries.withLock { $0 } }

    private func answer<T>(_ table: [String: [T]], _ name: String, _ type: String) throws(DNSError) -> [T] {
        let key = name.lowercased().hasSuffix(".") ? String(name.lowercased().dropLast()) : name.lowercased()
        queries.withLock { $0.append("\(type) \(key)") }
        if timingOut.contains(key) { throw .timeout(key) }
        if let records = table[key] { return records }
        let exists = txt[key] != nil || a[key] != nil || aaaa[key] != nil || mx[key] != nil
        if exists { return [] }
        throw .nameDoesNotExist(key)
    }

    func mx(_ name: String) async throws(DNSError) -> [MXRecord] { try answer(mx, name, "MX") }
    func a(_ name: String) async throws(DNSError) -> [String] { try answer(a, name, "A") }
    func aaaa(_ name: String) async throws(DNSError) -> [String] { try answer(aaaa, name, "AAAA") }
    func txt(_ name: String) async throws(DNSError) -> [String] { try answer(txt, name, "TXT") }
    func ptr(_ address: String) async throws(DNSError) -> [String] { try answer(ptr, address, "PTR") }
}

// The zone is filled before the evaluator runs and only read afterwards.
extension SPFTestZone: @unchecked Sendable {}
