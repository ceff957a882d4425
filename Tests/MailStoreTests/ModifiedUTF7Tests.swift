import MailStore
import Testing

@Suite("Modified UTF-7 folder names (RFC 3501 § 5.1.3), as Dovecot stores them")
struct ModifiedUTF7Tests {
    @Test(
        "the RFC's example and Dovecot's usual names both ways",
        arguments: [
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"), ("Entwürfe", "Entw&APw-rfe"), ("A&B", "A&-B"),
            ("Sent", "Sent"), ("Корзина", "&BBoEPgRABDcEOAQ9BDA-"), ("😀 mail", "&2D3eAA- mail"), ("", ""),
        ])
    func roundTrip(text: String, encoded: String) {
        #expect(ModifiedUTF7.encode(text) == encoded)
        #expect(ModifiedUTF7.decode(encoded) == text)
    }

    @Test(
        "invalid forms are refused, not guessed at",
        arguments: [
            "&U,BTFw", "&Jjo!-", "caf\u{e9}", "tab\there", "&AGE-", "&2D0-", "&U,BTF-", "&U/BTFw-",
        ])
    func invalid(encoded: String) {
        #expect(ModifiedUTF7.decode(encoded) == nil, "\(encoded)")
    }

    @Test("every name survives the round trip")
    func randomRoundTrips() {
        let pool: [Character] = ["a", "&", "-", " ", "ü", "台", "😀", ".", "/", "~", "Z"]
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0...12)).map { _ in pool.randomElement() ?? "a" })
            #expect(ModifiedUTF7.decode(ModifiedUTF7.encode(text)) == text, "\(text)")
        }
    }
}
