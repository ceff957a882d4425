import Foundation

/// The SASL mechanisms the client can use, in order of preference.
///
/// Both send the password in the clear (base64 is an encoding, not
/// protection), which is why the session uses them only under TLS unless the
/// configuration says otherwise. PLAIN comes first: it is standard (RFC 4616)
/// and needs one round trip; LOGIN is the widespread non-standard fallback.
enum SASLMechanism: String, Sendable, CaseIterable {
    case plain = "PLAIN"
    case login = "LOGIN"

    /// The preferred mechanism among those the server offers.
    static func choose(from offered: Set<String>) -> SASLMechanism? {
        allCases.first { offered.contains($0.rawValue) }
    }

    /// RFC 4616 § 2: `[authzid] NUL authcid NUL passwd`, with an empty
    /// authorization identity, base64-encoded as the initial response
    /// (RFC 4954 § 4).
    static func plainResponse(_ credentials: Credentials) -> String {
        var bytes: [UInt8] = [0]
        bytes += Array(credentials.username.utf8)
        bytes.append(0)
        bytes += Array(credentials.password.utf8)
        return base64(bytes)
    }

    static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    static func base64(_ text: String) -> String {
        base64(Array(text.utf8))
    }
}
