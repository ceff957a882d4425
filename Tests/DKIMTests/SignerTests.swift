import Crypto
import Foundation
import Testing
import _CryptoExtras

@testable import DKIM

@Suite("Signature fields")
struct SignerTests {
    static let message =
        "Received: from x\r\nFrom: Alice <alice@sims.test>\r\nTo: bob@peer.test\r\nSubject: hello\r\n"
        + "Date: Mon, 7 Dec 2026 17:00:00 +0000\r\nMessage-ID: <1@sims.test>\r\nX-Mailer: test\r\n\r\nHi Bob.\r\n"

    static func read(_ text: String) -> ([DKIMHeaderField], [UInt8]) {
        var reader = DKIMMessageReader(body: .relaxed)
        reader.update(Array(text.utf8))
        let (fields, bodyHash) = reader.finish()
        return (fields, bodyHash)
    }

    @Test("From is listed once more than it occurs; Received and unknown fields are not signed")
    func headerList() {
        let (fields, _) = Self.read(Self.message)
        #expect(DKIMSigner.headerList(for: fields) == ["from", "from", "subject", "date", "to", "message-id"])
        let twoTo = Self.read("From: a@b.test\r\nTo: x@y.test\r\nTo: z@y.test\r\n\r\n").0
        #expect(DKIMSigner.headerList(for: twoTo) == ["from", "from", "to", "to"])
    }

    @Test("Each signature verifies with its public key, and the field folds at 78 characters", arguments: DKIMAlgorithm.allCases)
    func signAndVerify(_ algorithm: DKIMAlgorithm) throws {
        let (fields, bodyHash) = Self.read(Self.message)
        let key = try DKIMPrivateKey.generate(algorithm)
        let field = try DKIMSigner.signatureField(
            fields: fields, bodyHash: bodyHash, key: key, domain: "sims.test", selector: "s1", time: 1_700_000_000)
        #expect(field.hasPrefix("DKIM-Signature: v=1; a=\(algorithm.rawValue); c=relaxed/relaxed; d=sims.test; s=s1;"))
        #expect(field.hasSuffix("\r\n"))
        let lines = field.components(separatedBy: "\r\n").dropLast()
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("\t") })
        #expect(field.contains("t=1700000000;"))
        #expect(field.contains("bh=\(Data(bodyHash).base64EncodedString());"))

        // What a verifier does: find b=, remove its value, hash, check.
        let signed = try #require(DKIMHeaderField.fields(in: Array(field.utf8)).first)
        let value = String(decoding: signed.value, as: UTF8.self)
        let bStart = try #require(value.range(of: "\tb="))
        let b = value[bStart.upperBound...].filter { !$0.isWhitespace }
        var unsignedText = String(decoding: signed.text, as: UTF8.self)
        unsignedText = String(unsignedText[..<(try #require(unsignedText.range(of: "\tb=")).upperBound)]) + "\r\n"
        let data = DKIMSigner.dataToSign(
            fields: fields, headerList: DKIMSigner.headerList(for: fields),
            unsignedField: DKIMHeaderField(name: "DKIM-Signature", text: Array(unsignedText.utf8)), canonicalization: .relaxed)
        let signature = try #require(Data(base64Encoded: String(b)))
        switch key {
        case .ed25519(let privateKey):
            #expect(privateKey.publicKey.isValidSignature(signature, for: Data(SHA256.hash(data: data))))
        case .rsa(let privateKey):
            #expect(privateKey.keySizeInBits == 2048)
            #expect(
                privateKey.publicKey.isValidSignature(
                    _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: data),
                    padding: .insecurePKCS1v1_5))
            // The record's key is the SubjectPublicKeyInfo (rsaEncryption OID).
            let spki = try #require(Data(base64Encoded: key.publicKeyBase64))
            #expect(Array(spki.prefix(4)) == [0x30, 0x82, 0x01, 0x22])
            #expect(key.dnsRecord.hasPrefix("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"))
        }
        // A changed Subject no longer verifies.
        let tampered = Self.read(Self.message.replacingOccurrences(of: "Subject: hello", with: "Subject: hellO")).0
        let other = DKIMSigner.dataToSign(
            fields: tampered, headerList: DKIMSigner.headerList(for: fields),
            unsignedField: DKIMHeaderField(name: "DKIM-Signature", text: Array(unsignedText.utf8)), canonicalization: .relaxed)
        #expect(other != data)
    }

    @Test("An RSA key survives PEM")
    func rsaPEM() throws {
        let key = try DKIMPrivateKey.generate(.rsaSHA256)
        let pem = key.pemRepresentation
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let again = try DKIMPrivateKey(pem: pem, algorithm: .rsaSHA256)
        #expect(again.publicKeyBase64 == key.publicKeyBase64)
    }

    @Test("TXT strings are at most 255 bytes; quotes are escaped")
    func txtStrings() {
        #expect(DNSTextRecord.zoneText("v=spf1 mx -all") == "\"v=spf1 mx -all\"")
        #expect(DNSTextRecord.zoneText("a\"b") == "\"a\\\"b\"")
        let long = String(repeating: "k", count: 400)
        #expect(
            DNSTextRecord.zoneText(long) == "\"\(String(repeating: "k", count: 255))\" \"\(String(repeating: "k", count: 145))\"")
    }
}
