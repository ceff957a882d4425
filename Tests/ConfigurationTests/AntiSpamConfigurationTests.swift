import AntiSpam
import MailCore
import Testing

@testable import Configuration

@Suite("[antispam] configuration")
struct AntiSpamConfigurationTests {
    @Test("Defaults: loopback exempt, HELO logged, return path verified, SPF recorded, no lists, limits off")
    func defaults() {
        let options = ServerConfiguration().antispam
        #expect(options.exemptNetworks.map(\.text) == ["127.0.0.0/8", "::1"])
        #expect(options.heloMode == .log && options.verifyReturnPath && options.spf == .header)
        #expect(options.blocklists.isEmpty && options.blocklistCheck == .connect)
        #expect(options.rate.isOff && !options.greylisting)
        #expect(options.tarpit.freeUnknownRecipients == 3 && options.tarpit.dropAfter == 10)
        let (fromFile, problems) = ConfigurationLoader.parse(DefaultConfigurationFile.text(hostname: "mx.example.test"))
        #expect(problems.isEmpty, "\(problems)")
        #expect(fromFile.antispam.exemptNetworks == options.exemptNetworks)
        #expect(fromFile.antispam.rate == options.rate && fromFile.antispam.tarpit == options.tarpit)
    }

    @Test("Every key is read")
    func everyKey() throws {
        let (c, problems) = ConfigurationLoader.parse(
            """
            [antispam]
            exempt_networks = []
            helo_policy = "reject"
            verify_return_path = false
            spf = "reject"
            dnsbl_check = "mail"
            dns_timeout = "2s"
            score_reject = 7.5

            [[antispam.dnsbl]]
            zone = "zen.example"
            listed = ["127.0.0.2-127.0.0.11"]
            action = "score"
            score = 3
            name = "Zen"

            [[antispam.dnsbl]]
            zone = "dbl.example"
            kind = "domain"

            [antispam.tarpit]
            free_unknown_recipients = 1
            first_delay = "200ms"
            maximum_delay = "1s"
            drop_after = 4
            penalty = "5m"

            [antispam.greylisting]
            enabled = true
            delay = "1s"
            retry_window = "1h"
            expiry = "7d"

            [limits.rate]
            connections_per_minute = 30
            messages_per_hour = 100
            recipients_per_hour = 500
            user_messages_per_hour = 200
            user_recipients_per_hour = 1000
            connection_window = "10s"
            message_window = "10m"
            """)
        #expect(problems.isEmpty, "\(problems)")
        let a = c.antispam
        #expect(a.exemptNetworks.isEmpty && a.heloMode == .reject && !a.verifyReturnPath && a.spf == .reject)
        #expect(a.blocklistCheck == .mail && a.dnsTimeout == .seconds(2) && a.scoreReject == 7.5)
        try #require(a.blocklists.count == 2)
        #expect(a.blocklists[0].zone == "zen.example" && a.blocklists[0].action == .score(3) && a.blocklists[0].name == "Zen")
        #expect(a.blocklists[0].listedAnswers.map(\.text) == ["127.0.0.2-127.0.0.11"])
        #expect(a.blocklists[1].kind == .domain && a.blocklists[1].action == .reject)
        #expect(a.tarpit.freeUnknownRecipients == 1 && a.tarpit.firstDelay == .milliseconds(200) && a.tarpit.dropAfter == 4)
        #expect(a.probePenalty == .seconds(300))
        #expect(a.greylisting && a.greylist.delay == .seconds(1) && a.greylist.expiry == .seconds(7 * 86400))
        #expect(a.rate.connectionsPerIP == 30 && a.rate.messagesPerIP == 100 && a.rate.recipientsPerIP == 500)
        #expect(a.rate.messagesPerUser == 200 && a.rate.recipientsPerUser == 1000)
        #expect(a.rate.connectionWindow == .seconds(10) && a.rate.messageWindow == .seconds(600))
    }

    @Test("Bad values are reported with their key", arguments: [
        ("[antispam]\nhelo_policy = \"maybe\"", "antispam.helo_policy"),
        ("[antispam]\nspf = \"strict\"", "antispam.spf"),
        ("[antispam]\nexempt_networks = [\"not an address\"]", "antispam.exempt_networks"),
        ("[[antispam.dnsbl]]\nlisted = [\"127.0.0.2\"]", "antispam.dnsbl"),
        ("[[antispam.dnsbl]]\nzone = \"z.example\"\naction = \"drop\"", "antispam.dnsbl.z.example.action"),
        ("[[antispam.dnsbl]]\nzone = \"z.example\"\nzones = 1", "antispam.dnsbl.z.example.zones"),
        ("[limits.rate]\nmessages_per_hour = -1", "limits.rate.messages_per_hour"),
        ("[antispam.tarpit]\nfirst_dealy = \"1s\"", "antispam.tarpit.first_dealy"),
    ])
    func problems(_ text: String, key: String) {
        let problems = ConfigurationLoader.parse(text).1
        #expect(problems.map(\.key) == [key], "\(problems)")
    }
}
