import MailCore
import Testing

@testable import AntiSpam

@Suite struct GreylistTests {
    let clock = SteppingClock()

    func greylist(_ configure: (inout GreylistSettings) -> Void = { _ in }) -> Greylist {
        var settings = GreylistSettings()
        configure(&settings)
        return Greylist(settings: settings, clock: clock.source)
    }

    @Test func firstSightIsRefusedThenARetryAfterTheDelayPasses() {
        let list = greylist()
        let first = list.check(clientAddress: "203.0.113.5", sender: "a@sender.test", recipient: "u@example.test")
        #expect(!first.isPass)
        #expect(first.reply == SMTPReply(451, .init(4, 7, 1), "Greylisted, try again in 5m"))
        #expect(first.description == "greylisted (203.0.113.0/24, <a@sender.test>, <u@example.test>), retry in 5m")
        clock.advance(.seconds(120))
        let early = list.check(clientAddress: "203.0.113.5", sender: "a@sender.test", recipient: "u@example.test")
        #expect(early.reply?.lines == ["Greylisted, try again in 3m"])
        clock.advance(.seconds(180))
        // Another address of the same /24, sender in another case: the same triplet.
        let retry = list.check(clientAddress: "203.0.113.77", sender: "<A@Sender.Test>", recipient: "u@example.test")
        #expect(retry.isPass && retry.reply == nil)
        #expect(retry.description == "greylist: passed (203.0.113.0/24, <a@sender.test>, <u@example.test>) (retried after 5m)")
        clock.advance(.seconds(30 * 24 * 3600))
        #expect(list.check(clientAddress: "203.0.113.5", sender: "a@sender.test", recipient: "u@example.test").isPass)
    }

    @Test func eachPartOfTheTripletCounts() {
        let list = greylist()
        _ = list.check(clientAddress: "203.0.113.5", sender: "a@sender.test", recipient: "u@example.test")
        clock.advance(.seconds(301))
        #expect(!list.check(clientAddress: "203.0.114.5", sender: "a@sender.test", recipient: "u@example.test").isPass)
        #expect(!list.check(clientAddress: "203.0.113.5", sender: "b@sender.test", recipient: "u@example.test").isPass)
        #expect(!list.check(clientAddress: "203.0.113.5", sender: "a@sender.test", recipient: "v@example.test").isPass)
        #expect(list.check(clientAddress: "203.0.113.5", sender: "a@sender.test", recipient: "u@example.test").isPass)
    }

    @Test func aRetryAfterTheWindowStartsOver() {
        let list = greylist()
        _ = list.check(clientAddress: "203.0.113.5", sender: "", recipient: "u@example.test")
        clock.advance(.seconds(4 * 3600 + 1))
        let late = list.check(clientAddress: "203.0.113.5", sender: "", recipient: "u@example.test")
        #expect(late.reply?.lines == ["Greylisted, try again in 5m"])
    }

    @Test func anAllowedTripletExpiresAfterDisuse() {
        let list = greylist {
            $0.delay = .seconds(1)
            $0.expiry = .seconds(100)
        }
        _ = list.check(clientAddress: "192.0.2.1", sender: "a@b.test", recipient: "u@example.test")
        clock.advance(.seconds(1))
        #expect(list.check(clientAddress: "192.0.2.1", sender: "a@b.test", recipient: "u@example.test").isPass)
        clock.advance(.seconds(99))
        #expect(
            list.check(clientAddress: "192.0.2.1", sender: "a@b.test", recipient: "u@example.test")
                == .pass(
                    GreylistTriplet(clientAddress: "192.0.2.1", sender: "a@b.test", recipient: "u@example.test"), .known))
        clock.advance(.seconds(100))
        #expect(!list.check(clientAddress: "192.0.2.1", sender: "a@b.test", recipient: "u@example.test").isPass)
    }

    @Test func networks() {
        let settings = GreylistSettings()
        #expect(GreylistTriplet.network(of: "203.0.113.200", settings: settings) == "203.0.113.0/24")
        #expect(GreylistTriplet.network(of: "2001:db8:1:2:3:4:5:6", settings: settings) == "2001:db8:1:2::/64")
        #expect(GreylistTriplet.network(of: "::ffff:203.0.113.9", settings: settings) == "203.0.113.0/24")
        var exact = GreylistSettings()
        exact.ipv4PrefixLength = 32
        exact.ipv6PrefixLength = 128
        #expect(GreylistTriplet.network(of: "203.0.113.200", settings: exact) == "203.0.113.200/32")
        #expect(GreylistTriplet.network(of: "2001:db8::6", settings: exact) == "2001:db8::6/128")
        #expect(GreylistTriplet.network(of: "not an address", settings: settings) == "not an address")
    }

    @Test func memoryIsBounded() {
        let list = greylist { $0.capacity = 1000 }
        for index in 0..<10_000 {
            _ = list.check(
                clientAddress: "10.\(index >> 8 & 255).\(index & 255).1", sender: "s\(index)@spam.test",
                recipient: "u@example.test")
        }
        #expect(list.count <= 1000)
    }
}

