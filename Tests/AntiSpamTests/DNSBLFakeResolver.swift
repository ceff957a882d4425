import DNS
import Synchronization

/// A resolver answering from a table, counting the questions it gets.
final class DNSBLFakeResolver: DNSResolving {
    enum Answer: Sendable {
        case records([String])
        case error(DNSError)
    }

    private let aRecords: [String: Answer]
    private let txtRecords: [String: Answer]
    private let asked = Mutex<[String]>([])

    init(a: [String: Answer] = [:], txt: [String: Answer] = [:]) {
        aRecords = a
        txtRecords = txt
    }

    /// Every question asked, as `TYPE name`, in order.
    var questions: [String] { asked.withLock { $0 } }

    private func answer(_ table: [String: Answer], _ type: String, _ name: String) throws(DNSError) -> [String] {
        asked.withLock { $0.append("\(type) \(name)") }
        switch table[name] {
        case .records(let records): return records
        case .error(let error): throw error
        case nil: throw .nameDoesNotExist(name)
        }
    }

    func a(_ name: String) async throws(DNSError) -> [String] { try answer(aRecords, "A", name) }
    func txt(_ name: String) async throws(DNSError) -> [String] { try answer(txtRecords, "TXT", name) }
    func mx(_ name: String) async throws(DNSError) -> [MXRecord] { throw .nameDoesNotExist(name) }
    func aaaa(_ name: String) async throws(DNSError) -> [String] { throw .nameDoesNotExist(name) }
    func ptr(_ address: String) async throws(DNSError) -> [String] { throw .nameDoesNotExist(address) }
}

/// A resolver whose A lookups all wait until `expected` of them are in
/// flight, then answer NXDOMAIN: it proves lookups run concurrently.
final class DNSBLGateResolver: DNSResolving {
    private let expected: Int
    private let started = Mutex(0)

    init(expected: Int) { self.expected = expected }

    func a(_ name: String) async throws(DNSError) -> [String] {
        started.withLock { $0 += 1 }
        let deadline = ContinuousClock.now + .seconds(10)
        while started.withLock({ $0 }) < expected && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
        guard started.withLock({ $0 }) >= expected else { throw .timeout("lookups ran one after another") }
        throw .nameDoesNotExist(name)
    }

    func txt(_ name: String) async throws(DNSError) -> [String] { [] }
    func mx(_ name: String) async throws(DNSError) -> [MXRecord] { [] }
    func aaaa(_ name: String) async throws(DNSError) -> [String] { [] }
    func ptr(_ address: String) async throws(DNSError) -> [String] { [] }
}
