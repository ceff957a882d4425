import Crypto
import SwiftASN1
import X509

/// The leaf's P-256 public key from a PEM chain.
func X509Leaf(_ pem: String) throws -> P256.Signing.PublicKey? {
    guard let first = try PEMDocument.parseMultiple(pemString: pem).first else { return nil }
    return P256.Signing.PublicKey(try Certificate(derEncoded: first.derBytes).publicKey)
}
