import Foundation
import MailCore
import Testing

@Suite("QueueID: one id per message, usable in logs and Maildir file names")
struct QueueIDTests {
    @Test("Ids start with 'S.' and use only upper-case base-36 digits")
    func format() {
        let id = QueueIDGenerator().next().rawValue
        #expect(id.hasPrefix("S."))
        let body = id.dropFirst(2)
        #expect(body.count >= 4)
        #expect(body.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("A"..."Z").contains($0) })
        #expect(!id.contains("/") && !id.contains(":"))
    }

    @Test("Ids handed out within one microsecond are still unique")
    func uniqueWithinOneMicrosecond() {
        let generator = QueueIDGenerator()
        let now = Date(timeIntervalSince1970: 1_795_990_086.123456)
        let ids = (0..<10_000).map { _ in generator.next(now: now) }
        #expect(Set(ids).count == ids.count)
    }

    @Test("The time part encodes the microseconds since 1970, followed by a three-digit sequence")
    func timePart() {
        let id = QueueIDGenerator().next(now: Date(timeIntervalSince1970: 1)).rawValue
        // 1_000_000 in base 36 is "LFLS".
        #expect(id.hasPrefix("S.LFLS"))
        #expect(id.count == "S.LFLS".count + 3)
    }

    @Test("Dates before 1970 do not crash and give a well-formed id")
    func beforeEpoch() {
        let id = QueueIDGenerator().next(now: Date(timeIntervalSince1970: -5)).rawValue
        #expect(id.hasPrefix("S.0"))
        #expect(id.count == 6)
    }

    @Test("Ids from concurrent callers are unique")
    func concurrentUnique() async {
        let generator = QueueIDGenerator()
        let now = Date(timeIntervalSince1970: 1_795_990_086)
        let ids = await withTaskGroup(of: [QueueID].self) { group in
            for _ in 0..<4 {
                group.addTask { (0..<2_000).map { _ in generator.next(now: now) } }
            }
            var all: [QueueID] = []
            for await part in group { all += part }
            return all
        }
        #expect(ids.count == 8_000)
        #expect(Set(ids).count == 8_000)
    }

    @Test("The description is the raw value")
    func description() {
        #expect(QueueID(rawValue: "S.ABC123").description == "S.ABC123")
    }
}
