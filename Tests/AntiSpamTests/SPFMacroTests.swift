import Foundation
import Testing

@testable import AntiSpam

/// RFC 7208 § 7.4's examples, and the macro-string grammar.
@Suite struct SPFMacroTests {
    static func expand(_ text: String, ip: String = "192.0.2.3", explanation: Bool = false) async throws -> String {
        let context = SPFMacroContext(
            client: SPFClientAddress(ip)!, sender: "strong-bad@email.example.com", localPart: "strong-bad",
            senderDomain: "email.example.com", helo: "mx.example.org", receiver: "receiver.test", timestamp: 1_700_000_000)
        let macro = try SPFMacroString(Substring(text), explanation: explanation)
        return await macro.expand { letter in
            await context.value(letter, domain: "email.example.com") { "mx.example.org" }
        }
    }

    @Test(arguments: [
        ("%{s}", "strong-bad@email.example.com"), ("%{o}", "email.example.com"), ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"), ("%{d3}", "email.example.com"), ("%{d2}", "example.com"), ("%{d1}", "com"),
        ("%{dr}", "com.example.email"), ("%{d2r}", "example.email"), ("%{l}", "strong-bad"), ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"), ("%{lr-}", "bad.strong"), ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
        ("%{h}.%{p}", "mx.example.org.mx.example.org"),
        ("a%%b%_c%-d", "a%b c%20d"),
    ])
    func rfcExamples(_ text: String, _ expected: String) async throws {
        #expect(try await Self.expand(text) == expected)
    }

    @Test func ipv6Example() async throws {
        // The RFC's example is lower case, the test suite's upper case: DNS does not care.
        #expect(
            try await Self.expand("%{ir}.%{v}._spf.%{d2}", ip: "2001:db8::cb01")
                == "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com")
        #expect(try await Self.expand("%{c}", ip: "2001:DB8::CB01", explanation: true) == "2001:db8::cb01")
    }

    @Test func uppercaseLettersAreURLEscaped() async throws {
        #expect(try await Self.expand("%{S}") == "strong-bad%40email.example.com")
        #expect(SPFMacroString.urlEscaped("~jack&jill=up-a_b3.c") == "~jack%26jill%3Dup-a_b3.c")
    }

    @Test func explanationOnlyLetters() async throws {
        #expect(
            try await Self.expand("from %{c} to %{r} at %{t}", explanation: true)
                == "from 192.0.2.3 to receiver.test at 1700000000")
        #expect(throws: SPFSyntaxError.self) { try SPFMacroString("%{c}.example.com") }
        #expect(throws: SPFSyntaxError.self) { try SPFMacroString("a b") }
    }

    @Test(arguments: ["%{x}", "%{d0}", "%", "%a", "%{d", "%{d2r?}", "%{}"])
    func syntaxErrors(_ text: String) {
        #expect(throws: SPFSyntaxError.self) { try SPFMacroString(Substring(text)) }
    }

    @Test func domainSpecEndsInTopLabelOrMacro() throws {
        #expect(try SPFMacroString("example.com").isDomainSpec)
        #expect(try SPFMacroString("example.com.").isDomainSpec)
        #expect(try SPFMacroString("%{d}").isDomainSpec)
        #expect(try !SPFMacroString("foo-bar").isDomainSpec)
        #expect(try !SPFMacroString("example.123").isDomainSpec)
        #expect(try !SPFMacroString("example.-com").isDomainSpec)
    }

    @Test func longExpansionsLoseLabelsOnTheLeft() {
        let long = Array(repeating: "abcdefghij", count: 30).joined(separator: ".") + ".example.com"
        let truncated = SPFDomainName.truncated(long)
        #expect(truncated.utf8.count <= 253)
        #expect(truncated.hasSuffix(".example.com"))
        #expect(truncated.hasPrefix("abcdefghij."))
    }
}
