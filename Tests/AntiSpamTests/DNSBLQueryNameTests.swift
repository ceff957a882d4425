import MailCore
import Testing

@testable import AntiSpam

@Suite("DNSBL query names (RFC 5782 § 2)")
struct DNSBLQueryNameTests {
    @Test("IPv4: octets reversed (§ 2.1)")
    func ipv4() {
        #expect(BlocklistQueryName.forAddress(MailCore.IPAddress("192.0.2.99")!, zone: "bl.example") == "99.2.0.192.bl.example")
        #expect(
            BlocklistQueryName.forAddress(MailCore.IPAddress("127.0.0.2")!, zone: "ZEN.Spamhaus.ORG.")
                == "2.0.0.127.zen.spamhaus.org")
    }

    @Test("IPv6: 32 nibbles in reverse order, lowercase (§ 2.4's example)")
    func ipv6() {
        let address = MailCore.IPAddress("2001:DB8:abc:123::42")!
        #expect(
            BlocklistQueryName.forAddress(address, zone: "bad.example.com")
                == "2.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.2.1.0.c.b.a.0.8.b.d.0.1.0.0.2.bad.example.com")
    }

    @Test("An IPv4-mapped IPv6 client is looked up as its IPv4 address")
    func mapped() {
        #expect(
            BlocklistQueryName.forAddress(MailCore.IPAddress("::ffff:192.0.2.99")!, zone: "bl.example") == "99.2.0.192.bl.example"
        )
    }

    @Test("Domains (RHSBL, § 2.2): as they are, lowercased, without a trailing dot")
    func domains() {
        #expect(BlocklistQueryName.forDomain("Spammer.EXAMPLE.", zone: "dbl.example") == "spammer.example.dbl.example")
        #expect(BlocklistQueryName.forDomain("a.b.c", zone: "rhsbl.example.") == "a.b.c.rhsbl.example")
    }

    @Test("Answers: 127/8 listed, 127.255.255.x refused, others ignored")
    func answerMeaning() {
        let list = BlocklistConfiguration(zone: "bl.example")
        #expect(list.meaning(ofAnswer: "127.0.0.2") == .listed)
        #expect(list.meaning(ofAnswer: "127.0.0.11") == .listed)
        #expect(list.meaning(ofAnswer: "127.255.255.254") == .refused)
        #expect(list.meaning(ofAnswer: "127.255.255.0") == .refused)
        #expect(list.meaning(ofAnswer: "10.0.0.1") == .ignored)
        #expect(list.meaning(ofAnswer: "not an address") == .ignored)
        let zen = BlocklistConfiguration(zone: "zen.example", listedAnswers: [IPAddressRange("127.0.0.2-127.0.0.11")!])
        #expect(zen.meaning(ofAnswer: "127.0.0.4") == .listed)
        #expect(zen.meaning(ofAnswer: "127.0.0.12") == .ignored)
        #expect(zen.meaning(ofAnswer: "127.0.0.1") == .ignored)
    }
}
