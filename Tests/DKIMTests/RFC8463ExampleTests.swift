import Crypto
import Foundation
import Testing

@testable import DKIM

/// RFC 8463 Appendix A: the Ed25519 key, the message and its signature. An
/// Ed25519 signature is deterministic, so ours must equal the RFC's byte
/// for byte.
@Suite("RFC 8463 Appendix A")
struct RFC8463ExampleTests {
    static let seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
    static let publicKey = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    static let message =
        "From: Joe SixPack <joe@football.example.com>\r\n"
        + "To: Suzie Q <suzie@shopping.example.net>\r\n"
        + "Subject: Is dinner ready?\r\n"
        + "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
        + "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
        + "\r\n"
        + "Hi.\r\n"
        + "\r\n"
        + "We lost the game.  Are you hungry yet?\r\n"
        + "\r\n"
        + "Joe.\r\n"
    /// The RFC's DKIM-Signature field, its b= value removed as a verifier removes it.
    static let unsignedField =
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
        + " d=football.example.com; i=@football.example.com;\r\n"
        + " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
        + " subject : date : message-id : from : subject : date;\r\n"
        + " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
        + " b=\r\n"
    static let signature = "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw=="

    static func key() throws -> DKIMPrivateKey {
        let seed = try #require(Data(base64Encoded: seed))
        return .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: seed))
    }

    @Test("The relaxed body hash is the RFC's bh=")
    func bodyHash() {
        var reader = DKIMMessageReader(body: .relaxed)
        reader.update(Array(Self.message.utf8))
        let (fields, bodyHash) = reader.finish()
        #expect(fields.map(\.name) == ["From", "To", "Subject", "Date", "Message-ID"])
        #expect(Data(bodyHash).base64EncodedString() == "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=")
    }

    @Test("The signature over the RFC's header fields and signature field is the RFC's b=")
    func signature() throws {
        var reader = DKIMMessageReader(body: .relaxed)
        reader.update(Array(Self.message.utf8))
        let (fields, _) = reader.finish()
        let data = DKIMSigner.dataToSign(
            fields: fields,
            headerList: ["from", "to", "subject", "date", "message-id", "from", "subject", "date"],
            unsignedField: DKIMHeaderField(name: "DKIM-Signature", text: Array(Self.unsignedField.utf8)),
            canonicalization: .relaxed)
        let key = try Self.key()
        #expect(Data(try key.sign(data)).base64EncodedString() == Self.signature)
        #expect(key.publicKeyBase64 == Self.publicKey)
        #expect(key.dnsRecord == "v=DKIM1; k=ed25519; p=\(Self.publicKey)")
    }

    @Test("The key survives PEM (PKCS #8), and the PEM is the one OpenSSL writes for it")
    func pem() throws {
        let key = try Self.key()
        let pem = key.pemRepresentation
        // openssl pkey of the RFC's seed prints exactly this.
        #expect(
            pem
                == "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n"
        )
        let again = try DKIMPrivateKey(pem: pem, algorithm: .ed25519SHA256)
        #expect(again.publicKeyBase64 == Self.publicKey)
        #expect(throws: DKIMKeyError.self) { try DKIMPrivateKey(pem: "garbage", algorithm: .ed25519SHA256) }
        #expect(throws: DKIMKeyError.self) { try DKIMPrivateKey(pem: pem, algorithm: .rsaSHA256) }
    }
}
