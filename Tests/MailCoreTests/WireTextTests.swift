import MailCore
import Testing

@Suite("WireText: outside text made safe for replies and headers (not the log)")
struct WireTextTests {
    @Test("A HELO name becomes one word that cannot open a comment or a quoted string")
    func word() {
        #expect(WireText.word("mail.example.org") == "mail.example.org")
        #expect(WireText.word("evil (forged) \"x\"\r\n\u{E9}") == "evil??forged???x????")
        #expect(WireText.word(String(repeating: "a", count: 300)).count == 255)
    }

    @Test("A third party's text becomes one printable line, cut with ...")
    func singleLine() {
        #expect(WireText.singleLine("  Listed\r\n\tfor  spam\u{7}\u{E9}  ", maximumLength: 100) == "Listed for spam??")
        #expect(WireText.singleLine("0123456789", maximumLength: 8) == "01234...")
    }
}
