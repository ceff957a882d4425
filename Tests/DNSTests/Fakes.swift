import DNS
import MailCore
import NIOCore
import Synchronization

/// A settable clock for the cache.
final class TestClock: Sendable {
    private let instant = Mutex(NIODeadline.uptimeNanoseconds(1_000_000_000))

    var now: NIODeadline { instant.withLock { $0 } }

    func advance(seconds: Int64) { instant.withLock { $0 = $0 + .seconds(seconds) } }
}

/// Answers questions from a table of canned replies and counts what it was asked.
actor FakeTransport: DNSTransport {
    private var replies: [String: DNSMessage] = [:]
    private(set) var asked: [String] = []

    private static func key(_ name: String, _ type: DNSRecordType) -> String { "\(name.lowercased()) \(type)" }

    func reply(to name: String, _ type: DNSRecordType, with message: DNSMessage) {
        replies[Self.key(name, type)] = message
    }

    func count(_ name: String, _ type: DNSRecordType) -> Int { asked.filter { $0 == Self.key(name, type) }.count }

    func exchange(_ question: DNSQuestion) async throws(DNSError) -> DNSMessage {
        let key = Self.key(question.name.description, question.type)
        asked.append(key)
        guard var message = replies[key] else { throw .timeout("no canned reply for \(key)") }
        message.questions = [question]
        return message
    }
}

/// Builders for canned replies.
enum Reply {
    static func records(_ records: [DNSResourceRecord], code: DNSResponseCode = .noError, authority: [DNSResourceRecord] = [])
        -> DNSMessage
    {
        DNSMessage(id: 0, isResponse: true, responseCode: code, answers: records, authority: authority)
    }

    static func record(_ owner: String, ttl: UInt32, _ data: DNSRecordData) -> DNSResourceRecord {
        DNSResourceRecord(name: try! DNSName(owner), ttl: ttl, data: data)
    }

    static func a(_ owner: String, _ address: String, ttl: UInt32 = 300) -> DNSResourceRecord {
        record(owner, ttl: ttl, .a(IPAddress(address)!))
    }

    static func cname(_ owner: String, _ target: String, ttl: UInt32 = 300) -> DNSResourceRecord {
        record(owner, ttl: ttl, .cname(try! DNSName(target)))
    }

    static func soa(_ zone: String, ttl: UInt32, minimum: UInt32) -> DNSResourceRecord {
        record(
            zone, ttl: ttl,
            .soa(
                DNSStartOfAuthority(
                    primaryServer: try! DNSName("ns.\(zone)"), responsibleMailbox: try! DNSName("hostmaster.\(zone)"),
                    serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: minimum)))
    }
}
