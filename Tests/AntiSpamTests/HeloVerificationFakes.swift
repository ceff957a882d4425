import DNS
import Synchronization

/// A resolver answering from tables: names missing from every table are
/// NXDOMAIN, names listed in `failing` time out, others get NODATA.
/// Shared by the HELO, return-path and other verification tests.
final class StubbedResolver: DNSResolving, Sendable {
    struct Zone: Sendable {
        var a: [String: [String]] = [:]
        var aaaa: [String: [String]] = [:]
        var mx: [String: [MXRecord]] = [:]
        var failing: Set<String> = []
    }

    private let zone: Mutex<Zone>
    private let queries = Mutex<[String]>([])

    init(_ zone: Zone = Zone()) { self.zone = Mutex(zone) }

    /// Every question asked, as `TYPE name`.
    var asked: [String] { queries.withLock { $0 } }

    private func answer<T>(_ type: String, _ name: String, _ table: KeyPath<Zone, [String: [T]]>) throws(DNSError) -> [T] {
        let key = name.lowercased()
        queries.withLock { $0.append("\(type) \(key)") }
        let zone = zone.withLock { $0 }
        if zone.failing.contains(key) { throw .timeout(key) }
        if let records = zone[keyPath: table][key] { return records }
        let exists = zone.a[key] != nil || zone.aaaa[key] != nil || zone.mx[key] != nil
        if exists { return [] }
        throw .nameDoesNotExist(key)
    }

    func mx(_ name: String) async throws(DNSError) -> [MXRecord] { try answer("MX", name, \.mx) }
    func a(_ name: String) async throws(DNSError) -> [String] { try answer("A", name, \.a) }
    func aaaa(_ name: String) async throws(DNSError) -> [String] { try answer("AAAA", name, \.aaaa) }
    func txt(_ name: String) async throws(DNSError) -> [String] { throw .nameDoesNotExist(name) }
    func ptr(_ address: String) async throws(DNSError) -> [String] { throw .nameDoesNotExist(address) }
}

/// A clock the test moves by hand.
final class SteppingClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    var now: ContinuousClock.Instant { instant.withLock { $0 } }

    func advance(_ duration: Duration) { instant.withLock { $0 = $0 + duration } }

    /// The closure the components take.
    var source: @Sendable () -> ContinuousClock.Instant { { [self] in self.now } }
}

/// A value shared between a test and a closure it hands out.
final class SharedValue<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    init(_ value: Value) { storage = Mutex(value) }

    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
