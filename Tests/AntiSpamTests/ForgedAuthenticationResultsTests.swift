import Testing

@testable import AntiSpam

@Suite("Forged Authentication-Results are removed (RFC 8601 § 5)")
struct ForgedAuthenticationResultsTests {
    func strip(_ text: String) -> String? {
        ForgedAuthenticationResults.removing(from: Array(text.utf8), authservID: "mx.example.test")
            .map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func oursIsRemovedWithItsFoldedLines() {
        let message = "Subject: x\r\nAuthentication-Results: MX.example.test;\r\n\tspf=pass smtp.mailfrom=a@b.test\r\nTo: y\r\n\r\nbody\r\n"
        #expect(strip(message) == "Subject: x\r\nTo: y\r\n\r\nbody\r\n")
    }

    @Test func othersAndTheBodyAreKept() {
        let message = "Authentication-Results: mx.other.test; spf=pass\r\nSubject: x\r\n\r\nAuthentication-Results: mx.example.test; spf=pass\r\n"
        #expect(strip(message) == nil)
        #expect(strip("authentication-results: (comment) mx.example.test; none\r\n\r\n") == "\r\n")
    }
}
