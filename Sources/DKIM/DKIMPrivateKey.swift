import Crypto
import Foundation
import _CryptoExtras

/// A DKIM signing key: Ed25519 (RFC 8463) or 2048-bit RSA (RFC 8301).
public enum DKIMPrivateKey: Sendable {
    case ed25519(Curve25519.Signing.PrivateKey)
    case rsa(_RSA.Signing.PrivateKey)

    public var algorithm: DKIMAlgorithm {
        switch self {
        case .ed25519: return .ed25519SHA256
        case .rsa: return .rsaSHA256
        }
    }

    /// A new random key. RSA keys are 2048 bits: RFC 8301 § 3.2 asks for at
    /// least 1024 and recommends 2048, and a 4096-bit key's record does not
    /// fit many DNS providers' forms.
    public static func generate(_ algorithm: DKIMAlgorithm) throws -> DKIMPrivateKey {
        switch algorithm {
        case .ed25519SHA256: return .ed25519(Curve25519.Signing.PrivateKey())
        case .rsaSHA256: return .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        }
    }

    /// RFC 6376 § 3.3 and RFC 8463 § 3: the signature over the data to sign.
    /// rsa-sha256 is RSASSA-PKCS1-v1_5 over SHA-256; ed25519-sha256 is
    /// PureEdDSA over the SHA-256 of the data (not over the data itself).
    public func sign(_ data: [UInt8]) throws -> [UInt8] {
        let digest = SHA256.hash(data: data)
        switch self {
        case .ed25519(let key):
            return Array(try key.signature(for: Data(digest)))
        case .rsa(let key):
            return Array(try key.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }

    /// The `p=` value: the raw 32-byte public key for Ed25519 (RFC 8463 § 4),
    /// the DER SubjectPublicKeyInfo for RSA (as every verifier expects).
    public var publicKeyBase64: String {
        switch self {
        case .ed25519(let key): return key.publicKey.rawRepresentation.base64EncodedString()
        case .rsa(let key): return key.publicKey.derRepresentation.base64EncodedString()
        }
    }

    /// The TXT record to publish at SELECTOR._domainkey.DOMAIN.
    public var dnsRecord: String {
        "v=DKIM1; k=\(algorithm.keyType); p=\(publicKeyBase64)"
    }

    // MARK: - PEM (PKCS #8)

    /// PKCS #8 `PRIVATE KEY` PEM, the form OpenSSL, OpenDKIM and dkimpy read.
    public var pemRepresentation: String {
        switch self {
        case .ed25519(let key): return Self.pem(Self.ed25519Prefix + Array(key.rawRepresentation))
        case .rsa(let key): return key.pkcs8PEMRepresentation
        }
    }

    /// Reads a key written by `pemRepresentation` (RSA also as PKCS #1 `RSA PRIVATE KEY`).
    public init(pem: String, algorithm: DKIMAlgorithm) throws {
        switch algorithm {
        case .rsaSHA256:
            let key: _RSA.Signing.PrivateKey
            do {
                key = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
            } catch {
                throw DKIMKeyError.unreadable("not an RSA private key in PEM form (\(error))")
            }
            guard key.keySizeInBits >= 1024 else {
                throw DKIMKeyError.unreadable("an RSA key of \(key.keySizeInBits) bits; RFC 8301 requires at least 1024")
            }
            self = .rsa(key)
        case .ed25519SHA256:
            guard let der = Self.derFromPEM(pem, label: "PRIVATE KEY"), der.count == Self.ed25519Prefix.count + 32,
                Array(der.prefix(Self.ed25519Prefix.count)) == Self.ed25519Prefix
            else {
                throw DKIMKeyError.unreadable("not an Ed25519 private key in PKCS #8 PEM form")
            }
            do {
                self = .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32)))
            } catch {
                throw DKIMKeyError.unreadable("not an Ed25519 private key (\(error))")
            }
        }
    }

    /// RFC 8410 § 7: PrivateKeyInfo { version 0, AlgorithmIdentifier { id-Ed25519 },
    /// OCTET STRING { OCTET STRING (32 bytes) } }: everything before the seed.
    static let ed25519Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    static func pem(_ der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN PRIVATE KEY-----\n\(base64)\n-----END PRIVATE KEY-----\n"
    }

    static func derFromPEM(_ pem: String, label: String) -> [UInt8]? {
        let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN \(label)-----"),
            let end = lines[begin...].firstIndex(of: "-----END \(label)-----")
        else { return nil }
        return Data(base64Encoded: lines[(begin + 1)..<end].joined()).map(Array.init)
    }
}

public enum DKIMKeyError: Error, CustomStringConvertible, Equatable {
    case unreadable(String)

    public var description: String {
        switch self {
        case .unreadable(let why): return why
        }
    }
}
