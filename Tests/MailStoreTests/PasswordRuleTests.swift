import MailStore
import Testing

@Suite("PasswordRule")
struct PasswordRuleTests {
    @Test("Too short, the account's own name, its domain, one repeated character: refused")
    func refused() {
        let address = "Alice@Example.org"
        #expect(PasswordRule.problem(with: "short", for: address)?.contains("too short") == true)
        #expect(PasswordRule.problem(with: "123456789", for: address)?.contains("at least 10") == true)
        for name in ["alice@example.org", "ALICE@EXAMPLE.ORG", "example.org"] {
            #expect(PasswordRule.problem(with: name, for: address)?.contains("name") == true, "\(name)")
        }
        #expect(PasswordRule.problem(with: "averyverylongname", for: "averyverylongname@example.org") != nil)
        #expect(PasswordRule.problem(with: "zzzzzzzzzzzz", for: address)?.contains("repeated") == true)
    }

    @Test("A passphrase passes")
    func accepted() {
        #expect(PasswordRule.problem(with: "correct horse battery staple", for: "alice@example.org") == nil)
        #expect(PasswordRule.problem(with: "alice-2026-secret", for: "alice@example.org") == nil)
    }
}
