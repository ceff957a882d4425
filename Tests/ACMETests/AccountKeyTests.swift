import Foundation
import Testing

@testable import ACME

@Suite struct AccountKeyTests {
    /// A P-256 key whose RFC 7638 thumbprint an independent implementation
    /// (Python's joserfc) computed.
    static let pem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgya+p2EW6dRZrXCFX
        Z7HWk05Qw9s26JsSe4piKxIPZyGhRANCAARg/tS6JVqdMclh63TGNW1owEm4kjth
        +mzmaWIuYPKftnkD/hAIuLyZpBrp6VYovGTy8bIMLX6fUXejwpTURiKZ
        -----END PRIVATE KEY-----
        """

    @Test func jwkAndThumbprintMatchAnIndependentImplementation() throws {
        let key = try AccountKey(pem: Self.pem)
        #expect(
            key.jwk
                == #"{"crv":"P-256","kty":"EC","x":"YP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Y","y":"eQP-EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk"}"#
        )
        #expect(key.thumbprint == "DOvxvJiAdIqVWIkFt5hDtCunXLF0BV4-JGv4f-ALSm0")
        #expect(key.keyAuthorization(token: "abc_-1") == "abc_-1.DOvxvJiAdIqVWIkFt5hDtCunXLF0BV4-JGv4f-ALSm0")
    }

    @Test func theKeySurvivesItsPEM() throws {
        let key = AccountKey()
        #expect(try AccountKey(pem: key.pem).thumbprint == key.thumbprint)
    }

    @Test func jwsUsesJWKBeforeTheAccountAndKIDAfter() throws {
        let key = AccountKey()
        let first = try JWS.body(key: key, signer: .jwk, nonce: "n1", url: "https://ca/new-acct", payload: "{}")
        let later = try JWS.body(key: key, signer: .kid("https://ca/acct/7"), nonce: "n2", url: "https://ca/authz", payload: nil)
        let header1 = try protectedHeader(first)
        let header2 = try protectedHeader(later)
        #expect(header1["jwk"] != nil && header1["kid"] == nil)
        #expect(header2["kid"] as? String == "https://ca/acct/7" && header2["jwk"] == nil)
        #expect(header1["nonce"] as? String == "n1" && header1["url"] as? String == "https://ca/new-acct")
        // POST-as-GET: the payload is the empty string, not "e30" ({}).
        let body = try JSONSerialization.jsonObject(with: Data(later)) as? [String: String]
        #expect(body?["payload"] == "")
    }

    private func protectedHeader(_ body: [UInt8]) throws -> [String: Any] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: String])
        let bytes = try #require(object["protected"].flatMap(Base64URL.decode))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }
}
