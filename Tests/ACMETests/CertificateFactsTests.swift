import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

@testable import ACME

@Suite struct CertificateFactsTests {
    private func pem(issuer: String, subject: String, names: [String]) throws -> String {
        let key = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: Date(timeIntervalSince1970: 1_800_000_000),
            notValidAfter: Date(timeIntervalSince1970: 1_800_000_000 + 90 * 86_400),
            issuer: try DistinguishedName { CommonName(issuer) }, subject: try DistinguishedName { CommonName(subject) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { SubjectAlternativeNames(names.map { GeneralName.dnsName($0) }) },
            issuerPrivateKey: Certificate.PrivateKey(key))
        return try certificate.serializeAsPEM().pemString + "\n"
    }

    @Test func readsTheLeafOfAChain() throws {
        let leaf = try pem(issuer: "R3", subject: "mx.example.org", names: ["MX.example.org", "mail.example.org"])
        let intermediate = try pem(issuer: "Root", subject: "R3", names: [])
        let facts = try #require(CertificateFacts(pemChain: leaf + intermediate))
        #expect(facts.names == ["mx.example.org", "mail.example.org"])
        #expect(facts.issuer == "CN=R3")
        #expect(!facts.selfSigned)
        #expect(facts.notAfter == Date(timeIntervalSince1970: 1_800_000_000 + 90 * 86_400))
        #expect(facts.covers(["mail.example.org"]) && !facts.covers(["other.example.org"]))
    }

    @Test func knowsASelfSignedStandIn() throws {
        let facts = try #require(
            CertificateFacts(pemChain: try pem(issuer: "mx.example.org", subject: "mx.example.org", names: [])))
        #expect(facts.selfSigned)
        #expect(CertificateFacts(pemChain: "not a certificate") == nil)
    }
}
