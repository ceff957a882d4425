import Testing

@testable import AntiSpam

@Suite("Forged Authentication-Results are removed (RFC 8601 § 5)")
struct ForgedAuthenticationResultsTests {
    func strip(_ text: String) -> String? {
        ForgedAuthenticationResults.removing(from: Array(text.utf8), authservID: "mx.example.test")
            .map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func oursIsRemovedWithItsFoldedLines() {
        let message =
            "Subject: x\r\nAuthentication-Results: MX.example.test;\r\n\tspf=pass smtp.mailfrom=a@b.test\r\nTo: y\r\n\r\nbody\r\n"
        #expect(strip(message) == "Subject: x\r\nTo: y\r\n\r\nbody\r\n")
    }

    @Test func othersAndTheBodyAreKept() {
        let message =
            "Authentication-Results: mx.other.test; spf=pass\r\nSubject: x\r\n\r\nAuthentication-Results: mx.example.test; spf=pass\r\n"
        #expect(strip(message) == nil)
        #expect(strip("authentication-results: (comment) mx.example.test; none\r\n\r\n") == "\r\n")
    }
}

/// Issue 11: forged headers with our authserv-id survived in four spellings
/// that RFC 8601 § 2.2 (with RFC 5322 and RFC 2045) reads as ours.
@Suite("Forged Authentication-Results in every spelling of our authserv-id")
struct ForgedAuthenticationResultsSpellingTests {
    func strip(_ text: String) -> String? {
        ForgedAuthenticationResults.removing(from: Array(text.utf8), authservID: "mx.example.test")
            .map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(
        "Each spelling is removed",
        arguments: [
            "Authentication-Results : mx.example.test; spf=pass",  // space before the colon (RFC 5322 § 4.5.3)
            "Authentication-Results\t: mx.example.test; spf=pass",
            "Authentication-Results: \"mx.example.test\"; spf=pass",  // quoted-string id (RFC 2045 value)
            "Authentication-Results: \"mx.exa\\mple.test\"; spf=pass",  // with a quoted-pair
            "Authentication-Results: (forged \\) still a comment) mx.example.test; spf=pass",  // comment with a quoted-pair
            "Authentication-Results: (a (nested) comment)mx.example.test; spf=pass",
            "Authentication-Results: mx.example.test(comment); spf=pass",
            "Authentication-Results: mx.example.test.; spf=pass",  // trailing dot of the FQDN
            "Authentication-Results: MX.EXAMPLE.TEST. 1; spf=pass",
            "Authentication-Results:\r\n (folded)\r\n \"MX.example.test.\";\r\n spf=pass",
        ])
    func removed(_ field: String) {
        let message = "Subject: x\r\n\(field)\r\nTo: y\r\n\r\nbody\r\n"
        #expect(strip(message) == "Subject: x\r\nTo: y\r\n\r\nbody\r\n", "\(field)")
    }

    @Test(
        "Other hosts' results stay, however they are spelt",
        arguments: [
            "Authentication-Results: mx.example.test.evil; spf=pass",
            "Authentication-Results: \"mx.example.testx\"; spf=pass",
            "Authentication-Results: (mx.example.test) other.test; spf=pass",
            "Authentication-Results: mail.example.test; spf=pass",
            "Authentication-Results-Original: mx.example.test; spf=pass",
            "X-Authentication-Results: mx.example.test; spf=pass",
            "Authentication-Results: ; spf=pass",
        ])
    func kept(_ field: String) {
        #expect(strip("Subject: x\r\n\(field)\r\n\r\nbody\r\n") == nil, "\(field)")
    }
}
