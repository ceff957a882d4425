import Foundation

/// A flattened JWS JSON request body (RFC 8555 § 6.2, RFC 7515 § 7.2.2).
///
/// Before the account exists its public key travels as `jwk`; afterwards
/// the account URL is the `kid` (RFC 8555 § 6.2: exactly one of the two).
enum JWS {
    enum Signer {
        case jwk
        case kid(String)
    }

    /// `payload` nil is the POST-as-GET of RFC 8555 § 6.3: an empty payload.
    static func body(key: AccountKey, signer: Signer, nonce: String, url: String, payload: String?) throws -> [UInt8] {
        let identity: String
        switch signer {
        case .jwk: identity = #""jwk":\#(key.jwk)"#
        case .kid(let account): identity = #""kid":\#(jsonString(account))"#
        }
        let protected = #"{"alg":"ES256",\#(identity),"nonce":\#(jsonString(nonce)),"url":\#(jsonString(url))}"#
        let protected64 = Base64URL.encode(Data(protected.utf8))
        let payload64 = payload.map { Base64URL.encode(Data($0.utf8)) } ?? ""
        let signature = try key.sign("\(protected64).\(payload64)")
        let body = #"{"protected":"\#(protected64)","payload":"\#(payload64)","signature":"\#(Base64URL.encode(signature))"}"#
        return Array(body.utf8)
    }

    /// A JSON string literal (quotes and escapes) for text from the server.
    static func jsonString(_ text: String) -> String {
        guard let data = try? JSONEncoder().encode(text), let literal = String(data: data, encoding: .utf8) else { return "\"\"" }
        return literal
    }
}
