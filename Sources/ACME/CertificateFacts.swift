import Foundation
import SwiftASN1
import X509

/// What the renewal decision needs to know about the certificate in use.
public struct CertificateFacts: Sendable, Equatable {
    public var notBefore: Date
    public var notAfter: Date
    public var issuer: String
    public var names: [String]
    public var selfSigned: Bool

    public init(notBefore: Date, notAfter: Date, issuer: String, names: [String], selfSigned: Bool) {
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.issuer = issuer
        self.names = names
        self.selfSigned = selfSigned
    }

    /// The leaf, the first certificate of a PEM chain; nil when there is none
    /// or it cannot be read.
    public init?(pemChain: String) {
        guard let first = try? PEMDocument.parseMultiple(pemString: pemChain).first(where: { $0.discriminator == "CERTIFICATE" }),
            let certificate = try? Certificate(derEncoded: first.derBytes)
        else { return nil }
        notBefore = certificate.notValidBefore
        notAfter = certificate.notValidAfter
        issuer = certificate.issuer.description
        selfSigned = certificate.issuer == certificate.subject
        let alternative = (try? certificate.extensions.subjectAlternativeNames) ?? nil
        names = (alternative.map { Array($0) } ?? []).compactMap { name in
            if case .dnsName(let text) = name { return text.lowercased() }
            return nil
        }
    }

    /// Every domain is among the certificate's names (exact match: ACME
    /// here orders no wildcards).
    public func covers(_ domains: [String]) -> Bool {
        Set(domains.map { $0.lowercased() }).isSubset(of: Set(names))
    }
}
