import Foundation
import MailCore
import Testing

@Suite("SASLPlainMessage: the one RFC 4616 PLAIN decoder (SMTP and POP3)")
struct SASLPlainTests {
    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test("authzid is optional; authcid and passwd are read as UTF-8")
    func accepted() throws {
        let bare = try SASLPlainMessage.decode(base64: Self.base64("\0alice@example.test\0s3cret"))
        #expect(bare == SASLPlainMessage(authorizationIdentity: "", username: "alice@example.test", password: "s3cret"))
        #expect(!bare.actsAsAnotherIdentity)
        let named = try SASLPlainMessage.decode(base64: Self.base64("Alice@Example.test\0alice@example.test\0pässwörd"))
        #expect(named.password == "pässwörd")
        #expect(!named.actsAsAnotherIdentity)
    }

    @Test("Asking to act as another identity is visible to the caller")
    func otherIdentity() throws {
        let message = try SASLPlainMessage.decode(base64: Self.base64("bob@example.test\0alice@example.test\0s3cret"))
        #expect(message.actsAsAnotherIdentity)
    }

    @Test(
        "Empty authcid or passwd, a missing or extra NUL, or invalid UTF-8 is malformed",
        arguments: [
            Array("\0alice\0".utf8), Array("\0\0s3cret".utf8), Array("alice\0s3cret".utf8),
            Array("\0alice\0s3cret\0".utf8), [0, 0x61, 0, 0xFF, 0xFE], [],
        ])
    func malformed(bytes: [UInt8]) {
        #expect(throws: SASLPlainMessage.DecodingError.malformed) { try SASLPlainMessage.decode(bytes) }
    }

    @Test("Text that is not base64 is told apart; \"=\" is the empty response, which is malformed")
    func encoding() {
        #expect(throws: SASLPlainMessage.DecodingError.notBase64) { try SASLPlainMessage.decode(base64: "!!!notbase64") }
        #expect(throws: SASLPlainMessage.DecodingError.malformed) { try SASLPlainMessage.decode(base64: "=") }
        #expect(SASLResponse.decodeBase64("=") == [])
    }
}
