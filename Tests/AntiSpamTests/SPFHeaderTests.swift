import Testing

@testable import AntiSpam

/// Received-SPF (RFC 7208 § 9.1) and the Authentication-Results piece.
@Suite struct SPFHeaderTests {
    @Test func receivedSPFForAPass() {
        let outcome = SPFOutcome(
            result: .pass, mechanism: "ip4:192.0.2.0/24", domain: "example.com", sender: "alice@example.com", identity: .mailfrom)
        let header = outcome.receivedSPFHeader(
            clientIP: "192.0.2.1", envelopeFrom: "alice@example.com", helo: "mail.example.com", receiver: "mx.example.test")
        #expect(
            header
                == "Received-SPF: pass (mx.example.test: domain of alice@example.com designates 192.0.2.1 "
                + "as permitted sender)\r\n"
                + "\tclient-ip=192.0.2.1; envelope-from=\"alice@example.com\";\r\n"
                + "\thelo=mail.example.com; receiver=mx.example.test; identity=mailfrom;\r\n"
                + "\tmechanism=\"ip4:192.0.2.0/24\"\r\n")
        #expect(outcome.authenticationResult == "spf=pass smtp.mailfrom=alice@example.com")
    }

    @Test func errorsCarryTheProblemAndHostileTextIsQuoted() {
        let outcome = SPFOutcome(
            result: .permerror, problem: "more than 10 (DNS) \"terms\"", domain: "example.com", sender: "x@example.com",
            identity: .mailfrom)
        let header = outcome.receivedSPFHeader(
            clientIP: "2001:db8::1", envelopeFrom: "x@example.com", helo: "evil\r\nX-Injected: yes", receiver: "mx.example.test")
        #expect(header.contains("permanent error in processing domain of x@example.com: more than 10 \\(DNS\\) \"terms\""))
        #expect(header.contains("problem=\"more than 10 (DNS) \\\"terms\\\"\""))
        #expect(header.contains("client-ip=\"2001:db8::1\""))
        #expect(header.contains("helo=\"evil??X-Injected: yes\""))
        #expect(!header.dropLast(2).contains("\r\nX-"))
        #expect(header.split(separator: "\r\n").allSatisfy { $0.count <= 998 })
        #expect(outcome.authenticationResult == "spf=permerror (more than 10 \\(DNS\\) \"terms\") smtp.mailfrom=x@example.com")
        let odd = SPFOutcome(result: .pass, domain: "example.com", sender: "odd user@example.com", identity: .mailfrom)
        #expect(odd.authenticationResult == "spf=pass smtp.mailfrom=\"odd user@example.com\"")
    }

    @Test func heloIdentity() {
        let outcome = SPFOutcome(
            result: .none, domain: "mail.example.com", sender: "postmaster@mail.example.com", identity: .helo)
        #expect(outcome.authenticationResult == "spf=none smtp.helo=mail.example.com")
        let method = outcome.authenticationMethodResult
        #expect(method.method == "spf" && method.result == "none")
        #expect(method.properties == [.init("smtp", "helo", "mail.example.com")])
    }

    @Test func everyResultHasAComment() {
        for result in SPFResult.allCases {
            let outcome = SPFOutcome(result: result, domain: "example.com", sender: "a@example.com", identity: .mailfrom)
            let header = outcome.receivedSPFHeader(clientIP: "192.0.2.1", envelopeFrom: "", helo: "h.test", receiver: "mx.test")
            #expect(header.hasPrefix("Received-SPF: \(result) (mx.test: "))
            #expect(header.contains("envelope-from=\"\";"))
        }
    }
}
