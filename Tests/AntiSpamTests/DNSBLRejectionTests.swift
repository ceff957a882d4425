import DNS
import MailCore
import Testing

@testable import AntiSpam

@Suite("DNSBL rejection text and report")
struct DNSBLRejectionTests {
    static func verdict(reason: String?, subject: String = "127.0.0.2") -> BlocklistVerdict {
        BlocklistVerdict(
            list: BlocklistConfiguration(zone: "bl.example"), subject: subject, queryName: "2.0.0.127.bl.example",
            answers: ["127.0.0.2"], outcome: .listed(reason: reason))
    }

    @Test("Client address, zone and TXT reason on one line")
    func plain() {
        #expect(
            rejectionText(for: Self.verdict(reason: "Spam source, see http://bl.example/127.0.0.2"))
                == "Client address 127.0.0.2 is listed in bl.example: Spam source, see http://bl.example/127.0.0.2")
        #expect(rejectionText(for: Self.verdict(reason: nil)) == "Client address 127.0.0.2 is listed in bl.example")
    }

    @Test("Control characters, line breaks and non-ASCII from the TXT record cannot reach the reply")
    func sanitised() {
        let text = rejectionText(for: Self.verdict(reason: "bad\r\n250 fake\u{7}  \t reply \u{E9}t\u{E9}"))
        #expect(text == "Client address 127.0.0.2 is listed in bl.example: bad 250 fake? reply ?t?")
        #expect(text.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) })
    }

    @Test("A long reason is cut")
    func truncated() {
        let text = rejectionText(for: Self.verdict(reason: String(repeating: "x", count: 2000)))
        #expect(text.count == 300)
        #expect(text.hasSuffix("..."))
    }

    @Test("Report text: aligned, 80 columns, no colour unless asked")
    func reportText() {
        let list = BlocklistConfiguration(zone: "other.example")
        let report = BlocklistReport(verdicts: [
            Self.verdict(reason: String(repeating: "long reason ", count: 20)),
            BlocklistVerdict(list: list, subject: "127.0.0.2", queryName: "q", answers: [], outcome: .notListed),
            BlocklistVerdict(list: list, subject: "127.0.0.2", queryName: "q", answers: ["127.255.255.254"], outcome: .refused),
            BlocklistVerdict(list: list, subject: "127.0.0.2", queryName: "q", answers: [], outcome: .noAnswer(.timeout("x"))),
        ])
        let text = report.text(colour: false)
        #expect(!text.contains("\u{1B}"))
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 80 })
        #expect(text.contains("  bl.example     LISTED     127.0.0.2\n"))
        #expect(text.contains("  other.example  not listed\n"))
        #expect(text.contains("  other.example  refused    127.255.255.254"))
        #expect(text.contains("  other.example  no answer  DNS timeout: x"))
        #expect(report.exitStatus == 1)
        #expect(report.text(colour: true).contains("\u{1B}[1;31mLISTED"))
    }

    @Test("Exit status: 0 when a list said 'not listed', 2 when no list answered")
    func exitStatus() {
        let list = BlocklistConfiguration(zone: "bl.example")
        let clean = BlocklistVerdict(list: list, subject: "s", queryName: "q", answers: [], outcome: .notListed)
        let failed = BlocklistVerdict(list: list, subject: "s", queryName: "q", answers: [], outcome: .noAnswer(.timeout("t")))
        let refused = BlocklistVerdict(list: list, subject: "s", queryName: "q", answers: [], outcome: .refused)
        #expect(BlocklistReport(verdicts: [clean, failed]).exitStatus == 0)
        #expect(BlocklistReport(verdicts: [failed, refused]).exitStatus == 2)
        #expect(BlocklistReport(verdicts: []).exitStatus == 2)
    }
}
