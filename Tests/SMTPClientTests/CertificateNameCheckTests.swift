import Testing

@testable import SMTPClient

@Suite("Certificate name check for required TLS (RFC 6125 § 6.4)")
struct CertificateNameCheckTests {
    @Test(
        "DNS-ID matching: exact, case-insensitive, trailing dot; a wildcard is one whole left-most label",
        arguments: [
            ("mx.dest.test", "mx.dest.test", true),
            ("MX.Dest.Test", "mx.dest.test", true),
            ("mx.dest.test.", "mx.dest.test", true),
            ("*.dest.test", "mx.dest.test", true),
            ("*.dest.test", "a.mx.dest.test", false),
            ("*.dest.test", "dest.test", false),
            ("*.test", "dest.test", false),
            ("m*.dest.test", "mx.dest.test", false),
            ("mx.*.test", "mx.dest.test", false),
            ("mx.dest.test", "mx.other.test", false),
            ("localhost", "localhost", true),
            ("mx.dest.test", "mx..dest.test", false),
        ])
    func matching(pattern: String, hostname: String, expected: Bool) {
        #expect(CertificateNameCheck.matches(pattern: pattern, hostname: hostname) == expected)
    }
}
