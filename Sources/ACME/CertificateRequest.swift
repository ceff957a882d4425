import Crypto
import SwiftASN1
import X509

/// The certificate's own key and the CSR (RFC 2986) for `finalize`: a new
/// P-256 key for every certificate, so that a renewal never reuses a key
/// that a former certificate exposed.
public struct CertificateRequest: Sendable {
    public let privateKey: P256.Signing.PrivateKey
    /// DER, as § 7.4 wants it (base64url in the finalize payload).
    public let der: [UInt8]

    public init(domains: [String], privateKey: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) throws {
        self.privateKey = privateKey
        let commonName = domains.first ?? ""
        let extensions = try Certificate.Extensions {
            SubjectAlternativeNames(domains.map { GeneralName.dnsName($0) })
        }
        let request = try CertificateSigningRequest(
            version: .v1,
            subject: try DistinguishedName { CommonName(commonName) },
            privateKey: Certificate.PrivateKey(privateKey),
            attributes: CertificateSigningRequest.Attributes([.init(ExtensionRequest(extensions: extensions))]),
            signatureAlgorithm: .ecdsaWithSHA256)
        var serializer = DER.Serializer()
        try serializer.serialize(request)
        der = serializer.serializedBytes
    }

    public var keyPEM: String { privateKey.pemRepresentation }
}
