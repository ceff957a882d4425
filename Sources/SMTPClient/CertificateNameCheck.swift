import NIOSSL

/// Checks that a verified certificate names the host the client meant to reach.
///
/// NIOSSL's own check also accepts a certificate whose IP-address subject
/// alternative name matches the peer's address, even when a host name was
/// given. For SMTP the reference identity is the host name (RFC 6125 § 6,
/// RFC 7672 § 3.2.3 for MX hosts), so with a name this second check demands
/// a DNS-ID that matches it.
public enum CertificateNameCheck {
    /// Whether one of the certificate's DNS subject alternative names matches
    /// `hostname`. The subject's common name is not consulted (RFC 6125
    /// § 6.4.4: not when DNS-IDs are present, and every public CA issues them).
    static func certificate(_ certificate: NIOSSLCertificate, names hostname: String) -> Bool {
        for name in certificate._subjectAlternativeNames() where name.nameType == .dnsName {
            if matches(pattern: String(decoding: name.contents, as: UTF8.self), hostname: hostname) { return true }
        }
        return false
    }

    /// RFC 6125 § 6.4.1, § 6.4.3: labels compared case-insensitively; a "*"
    /// only as the whole left-most label, standing for exactly one label, and
    /// never directly under a top-level domain.
    public static func matches(pattern: String, hostname: String) -> Bool {
        func labels(_ text: String) -> [Substring] {
            var text = Substring(text.lowercased())
            if text.hasSuffix(".") { text = text.dropLast() }
            return text.split(separator: ".", omittingEmptySubsequences: false)
        }
        let patternLabels = labels(pattern)
        let hostLabels = labels(hostname)
        guard patternLabels.count == hostLabels.count, !hostLabels.contains(where: \.isEmpty) else { return false }
        if patternLabels.first == "*" {
            guard patternLabels.count >= 3 else { return false }
            return patternLabels.dropFirst() == hostLabels.dropFirst()
        }
        return patternLabels == hostLabels
    }
}
