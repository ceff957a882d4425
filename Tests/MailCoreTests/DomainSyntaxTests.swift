import MailCore
import Testing

@Suite("DomainSyntax (RFC 5321 § 4.1.2)")
struct DomainSyntaxTests {
    @Test("Ordinary host names are valid", arguments: [
        "example.test", "a.b", "localhost", "mx-1.example.test", "123.example.test", "xn--bcher-kva.test", "A.EXAMPLE.TEST",
    ])
    func valid(_ domain: String) {
        #expect(DomainSyntax.isValid(Substring(domain), allowUTF8: false))
    }

    @Test("Empty labels, hyphens at label edges and foreign characters are invalid", arguments: [
        "", ".", "example.test.", ".example.test", "example..test", "-example.test", "example-.test",
        "exa_mple.test", "exa mple.test", "example.test:25", "user@example.test", "[192.0.2.1]", "example.-test",
    ])
    func invalid(_ domain: String) {
        #expect(!DomainSyntax.isValid(Substring(domain), allowUTF8: false))
    }

    @Test("A label may be 63 octets but not 64")
    func labelLength() {
        #expect(DomainSyntax.isValid(Substring("\(repeated("a", 63)).test"), allowUTF8: false))
        #expect(!DomainSyntax.isValid(Substring("\(repeated("a", 64)).test"), allowUTF8: false))
    }

    @Test("A domain may be 255 octets but not 256")
    func totalLength() {
        let label = repeated("a", 63)
        let longest = "\(label).\(label).\(label).\(label)"  // 255
        #expect(longest.utf8.count == 255)
        #expect(DomainSyntax.isValid(Substring(longest), allowUTF8: false))
        #expect(!DomainSyntax.isValid(Substring("\(longest)b"), allowUTF8: false))
        #expect(!DomainSyntax.isValid(Substring("b.\(longest)"), allowUTF8: false))
    }

    @Test("U-labels are valid only with SMTPUTF8")
    func utf8Labels() {
        #expect(!DomainSyntax.isValid("bücher.test", allowUTF8: false))
        #expect(DomainSyntax.isValid("bücher.test", allowUTF8: true))
        #expect(!DomainSyntax.isValid("bücher..test", allowUTF8: true))
        #expect(!DomainSyntax.isValid("bücher.test.", allowUTF8: true))
    }
}
