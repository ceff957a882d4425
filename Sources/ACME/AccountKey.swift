import Crypto
import Foundation

/// The ACME account's key: ES256 (ECDSA P-256 with SHA-256, RFC 7518 § 3.4),
/// the one JWS algorithm every ACME server must accept (RFC 8555 § 6.2).
public struct AccountKey: Sendable {
    public let privateKey: P256.Signing.PrivateKey

    public init(_ privateKey: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) {
        self.privateKey = privateKey
    }

    /// Reads the PEM the server keeps in the data directory.
    public init(pem: String) throws {
        privateKey = try P256.Signing.PrivateKey(pemRepresentation: pem)
    }

    public var pem: String { privateKey.pemRepresentation }

    /// The public key as a JWK (RFC 7517), members in the lexicographic order
    /// RFC 7638 § 3.2 requires for the thumbprint, so one text serves both.
    public var jwk: String {
        // x963: 0x04 || X (32 bytes) || Y (32 bytes).
        let point = [UInt8](privateKey.publicKey.x963Representation)
        let x = Base64URL.encode(point[1..<33])
        let y = Base64URL.encode(point[33..<65])
        return #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
    }

    /// RFC 7638: base64url(SHA-256(canonical JWK)).
    public var thumbprint: String {
        Base64URL.encode(SHA256.hash(data: Data(jwk.utf8)))
    }

    /// RFC 8555 § 8.1: the key authorization for a challenge token.
    public func keyAuthorization(token: String) -> String { "\(token).\(thumbprint)" }

    /// The JWS signature: r || s, 32 bytes each (RFC 7518 § 3.4), not DER.
    func sign(_ input: String) throws -> [UInt8] {
        [UInt8](try privateKey.signature(for: Data(input.utf8)).rawRepresentation)
    }
}
