import DKIM
import Foundation
import MailCore
import Testing

@testable import Operator

@Suite("Doctor: DKIM records, and the records sims dns-records prints")
struct DoctorDKIMTests {
    static let key = PublishedRecords.DKIMKey(
        domain: "example.org", selector: "s1", algorithm: .ed25519SHA256, record: "v=DKIM1; k=ed25519; p=OURKEY")

    static func findings(_ published: DoctorLookup<[String]>, key: PublishedRecords.DKIMKey = key) -> [DoctorFinding] {
        DKIMRecordCheck.findings(
            DoctorFixture.facts {
                $0.dkimKeys = [key]
                $0.dkim = [DKIMRecordFacts(key: key, published: published)]
            })
    }

    @Test("Published with our key: ok; absent: a warning with the record to publish; another key: a warning")
    func states() {
        #expect(Self.findings(.answer(["v=DKIM1; k=ed25519; p=OURKEY"])).map(\.id) == ["dkim.published"])
        #expect(Self.findings(.answer(["v=DKIM1;  k=ed25519;\tp=OUR KEY"])).map(\.id) == ["dkim.published"])
        let missing = Self.findings(.noSuchName)
        #expect(missing.map(\.id) == ["dkim.missing"])
        #expect(missing[0].severity == .warning)
        #expect(missing[0].fix == "Publish s1._domainkey.example.org. IN TXT \"v=DKIM1; k=ed25519; p=OURKEY\"")
        #expect(Self.findings(.answer(["some other text"])).map(\.id) == ["dkim.missing"])
        #expect(Self.findings(.answer(["v=DKIM1; k=ed25519; p=THEIRS"])).map(\.id) == ["dkim.different"])
        #expect(Self.findings(.failed("timeout")).map(\.id) == ["dkim.unchecked"])
    }

    @Test("A domain without keys gets advice; an unreadable key file a warning, offline too")
    func noKeyAndUnreadable() {
        let none = DKIMRecordCheck.findings(DoctorFixture.facts())
        #expect(none.map(\.id) == ["dkim.no-key"])
        #expect(none[0].severity == .advice)
        let broken = PublishedRecords.DKIMKey(
            domain: "example.org", selector: "s2", algorithm: .rsaSHA256, record: nil, problem: "not an RSA private key")
        let offline = DKIMRecordCheck.findings(
            DoctorFixture.facts {
                $0.dns = nil
                $0.dkimKeys = [broken]
            })
        #expect(offline.map(\.id) == ["dkim.key-unreadable"])
        #expect(offline[0].found.contains("not an RSA private key"))
    }

    @Test("The records of a domain: MX, SPF, each DKIM key, DMARC; PTR names")
    func records() throws {
        let lines = PublishedRecords.domain("example.org", hostname: "mx.example.org", keys: [Self.key]).map(\.zoneLine)
        #expect(
            lines == [
                "example.org. IN MX 10 mx.example.org.",
                "example.org. IN TXT \"v=spf1 mx -all\"",
                "s1._domainkey.example.org. IN TXT \"v=DKIM1; k=ed25519; p=OURKEY\"",
                "_dmarc.example.org. IN TXT \"v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org\"",
            ])
        let v4 = try #require(IPAddress("192.0.2.25"))
        #expect(
            PublishedRecords.pointer(v4, hostname: "mx.example.org").zoneLine == "25.2.0.192.in-addr.arpa. IN PTR mx.example.org."
        )
        #expect(PublishedRecords.host("mx.example.org", addresses: [v4]).map(\.zoneLine) == ["mx.example.org. IN A 192.0.2.25"])
    }
}
