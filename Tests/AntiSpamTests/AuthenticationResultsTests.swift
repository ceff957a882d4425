import Testing

@testable import AntiSpam

@Suite struct AuthenticationResultsTests {
    @Test func noResultsIsNone() {
        let header = AuthenticationResultsHeader(authservID: "mx.example.test")
        #expect(header.rendered() == "Authentication-Results: mx.example.test; none\r\n")
    }

    @Test func registeredMethodsOnePerLine() {
        var header = AuthenticationResultsHeader(authservID: "mx.example.test")
        header.add(.spf("pass", mailFrom: "alice@sender.test"))
        header.add(.iprev("pass", address: "203.0.113.5", name: "mail.sender.test"))
        header.add(.auth(user: "alice"))
        #expect(
            header.rendered()
                == "Authentication-Results: mx.example.test;\r\n"
                + "\tspf=pass smtp.mailfrom=alice@sender.test;\r\n"
                + "\tiprev=pass policy.iprev=203.0.113.5 (mail.sender.test);\r\n"
                + "\tauth=pass smtp.auth=alice\r\n")
        #expect(
            header.description
                == "mx.example.test; spf=pass smtp.mailfrom=alice@sender.test;"
                + " iprev=pass policy.iprev=203.0.113.5 (mail.sender.test); auth=pass smtp.auth=alice")
    }

    @Test func unregisteredChecksBecomeComments() {
        var header = AuthenticationResultsHeader(authservID: "mx.example.test")
        header.addNote("dnsbl: 127.0.0.9 not listed in bl.test")
        header.addNote("helo: evil (name) \\ mismatch")
        #expect(
            header.rendered()
                == "Authentication-Results: mx.example.test; none\r\n\t(dnsbl: 127.0.0.9 not listed in bl.test)\r\n"
                + "\t(helo: evil \\(name\\) \\\\ mismatch)\r\n")
    }

    @Test func valuesThatAreNotTokensAreQuoted() {
        var header = AuthenticationResultsHeader(authservID: "mx.example.test")
        header.add(.iprev("fail", address: "2001:db8::5"))
        header.add(.spf("fail", mailFrom: "\"odd user\"@sender.test", helo: "[192.0.2.1]"))
        header.add(.init(method: "spf", result: "permerror", reason: "too many \"lookups\""))
        let text = header.rendered()
        #expect(text.contains("policy.iprev=\"2001:db8::5\""))
        #expect(text.contains("smtp.mailfrom=\"\\\"odd user\\\"@sender.test\""))
        #expect(text.contains("smtp.helo=\"[192.0.2.1]\""))
        #expect(text.contains("reason=\"too many \\\"lookups\\\"\""))
    }

    @Test func longResultsAreFoldedWithin78Characters() {
        var header = AuthenticationResultsHeader(authservID: "mx.example.test")
        let sender = "a.rather.long.local.part.for.testing@mail.subdomain.of.a.long.sender.domain.test"
        header.add(
            .spf(
                "softfail", mailFrom: sender, helo: "mail.subdomain.of.a.long.sender.domain.test",
                comment: "sender is not authorised"))
        let lines = header.rendered().components(separatedBy: "\r\n").dropLast()
        #expect(lines.count > 2)
        for line in lines where line.count > AuthenticationResultsHeader.lineLimit {
            // Only a single piece that is longer than a line by itself may overflow.
            #expect(line.hasPrefix("\t  ") && !line.dropFirst(3).contains(" "), "overlong line: \(line)")
        }
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("\t") })
        #expect(header.description.contains("spf=softfail smtp.mailfrom=\(sender) smtp.helo="))
    }

    @Test func recognisesOurOwnHeaderInIncomingMail() {
        #expect(
            AuthenticationResultsHeader.carriesAuthservID(
                "Authentication-Results: MX.example.test; none", authservID: "mx.example.test"))
        #expect(
            AuthenticationResultsHeader.carriesAuthservID(
                " (forged (nested)) mx.example.test;spf=pass", authservID: "mx.example.test"))
        #expect(
            AuthenticationResultsHeader.carriesAuthservID(
                "Authentication-Results:\r\n\tmx.example.test 1; none", authservID: "mx.example.test"))
        #expect(
            !AuthenticationResultsHeader.carriesAuthservID(
                "Authentication-Results: mx.example.test.evil; none", authservID: "mx.example.test"))
        #expect(
            !AuthenticationResultsHeader.carriesAuthservID(
                "Authentication-Results: other.test; none", authservID: "mx.example.test"))
    }
}
