import DNS
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// Reads the configured certificate and key the way the server would, and
/// summarises the certificate for the checks.
enum CertificateInspection {
    static func facts(certificatePath: String, keyPath: String) -> CertificateFacts {
        guard FileManager.default.fileExists(atPath: certificatePath) else { return .missing(path: certificatePath) }
        guard FileManager.default.fileExists(atPath: keyPath) else {
            return .unusable(path: certificatePath, reason: "the key \(keyPath) is missing")
        }
        let certificate: Certificate
        do {
            let text = try String(contentsOfFile: certificatePath, encoding: .utf8)
            guard let first = try PEMDocument.parseMultiple(pemString: text).first else {
                return .unusable(path: certificatePath, reason: "no PEM certificate in the file")
            }
            certificate = try Certificate(pemDocument: first)
        } catch {
            return .unusable(path: certificatePath, reason: "cannot read it (\(SystemErrorText.describe(error)))")
        }
        // What ServerTLS does at startup: a key that does not match fails here.
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            _ = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        } catch {
            return .unusable(
                path: certificatePath,
                reason: "the server could not load it with the key \(keyPath) (\(SystemErrorText.describe(error)))")
        }
        return .loaded(
            CertificateSummary(
                path: certificatePath, notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter,
                names: names(certificate), selfSigned: isSelfSigned(certificate)))
    }

    /// DNS subject alternative names; the last common name when there are none.
    static func names(_ certificate: Certificate) -> [String] {
        var names: [String] = []
        if let alternatives = try? certificate.extensions.subjectAlternativeNames {
            for name in alternatives {
                if case .dnsName(let dns) = name { names.append(dns) }
            }
        }
        if names.isEmpty {
            for rdn in certificate.subject {
                for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                    if let text = String(attribute.value) { names = [text] }
                }
            }
        }
        return names
    }

    /// Issued by itself: the issuer is the subject and its own key verifies it.
    static func isSelfSigned(_ certificate: Certificate) -> Bool {
        certificate.issuer == certificate.subject
            && certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }
}
