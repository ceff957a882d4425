import Foundation

/// An RFC 4616 PLAIN response, as the SMTP (RFC 4954) and POP3 (RFC 5034)
/// servers receive it: one decoder, so both protocols accept and refuse the
/// same credentials.
public struct SASLPlainMessage: Equatable, Sendable {
    /// The identity to act as; empty when the client asks for none.
    public let authorizationIdentity: String
    /// The identity whose password this is (never empty).
    public let username: String
    /// Never empty.
    public let password: String

    /// What was wrong with a response.
    public enum DecodingError: Error, Equatable, Sendable {
        /// Not base64 (nor "=", the empty response).
        case notBase64
        /// Not `[authzid] NUL authcid NUL passwd` in UTF-8 with both
        /// authcid and passwd present.
        case malformed
    }

    /// Reads the base64 text of a response line or an initial response.
    public static func decode(base64 encoded: String) throws(DecodingError) -> SASLPlainMessage {
        guard let bytes = SASLResponse.decodeBase64(encoded) else { throw .notBase64 }
        return try decode(bytes)
    }

    /// RFC 4616 § 2: `message = [authzid] UTF8NUL authcid UTF8NUL passwd`,
    /// `authcid = 1*SAFE`, `passwd = 1*SAFE`, SAFE being any UTF-8 but NUL.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> SASLPlainMessage {
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty, !parts[2].isEmpty,
            let authzid = String(validating: parts[0], as: UTF8.self),
            let authcid = String(validating: parts[1], as: UTF8.self),
            let passwd = String(validating: parts[2], as: UTF8.self)
        else { throw .malformed }
        return SASLPlainMessage(authorizationIdentity: authzid, username: authcid, password: passwd)
    }

    public init(authorizationIdentity: String, username: String, password: String) {
        self.authorizationIdentity = authorizationIdentity
        self.username = username
        self.password = password
    }

    /// True when the client asks to act as someone other than itself, which
    /// this server does not offer (the names compare case-insensitively).
    public var actsAsAnotherIdentity: Bool {
        !authorizationIdentity.isEmpty && authorizationIdentity.lowercased() != username.lowercased()
    }
}

/// The base64 of a SASL exchange line.
public enum SASLResponse {
    /// The decoded bytes; RFC 4954 § 4 and RFC 5034 § 4: a single "=" is an
    /// empty response. Nil when the text is not base64.
    public static func decodeBase64(_ text: String) -> [UInt8]? {
        if text == "=" { return [] }
        return Data(base64Encoded: text).map { Array($0) }
    }
}
