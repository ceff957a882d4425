import MailCore
import NIOCore
import NIOSSL

/// What the driver needs to start TLS on one connection: the context and
/// the name for SNI and certificate checks.
struct TLSClientSetup: Sendable {
    let context: NIOSSLContext
    /// The name sent as SNI and, when `verifies`, checked against the
    /// certificate. nil: no SNI, and a verifying context checks the server's
    /// IP address instead.
    let serverHostname: String?
    let verifies: Bool

    func makeHandler() throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
    }

    /// The contexts for a policy, built once per client: loading the system
    /// trust store is not free.
    static func makeContext(for policy: TLSPolicy, trustedCertificatesFile: String?) -> Result<NIOSSLContext, any Error>? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch policy {
        case .disabled:
            return nil
        case .opportunistic:
            // RFC 7435 § 4: an unauthenticated encrypted channel is better
            // than plaintext; a check that fails would only push the mail
            // back into the clear.
            configuration.certificateVerification = .none
        case .required:
            configuration.certificateVerification = .fullVerification
            configuration.minimumTLSVersion = .tlsv12
            if let trustedCertificatesFile { configuration.trustRoots = .file(trustedCertificatesFile) }
        }
        return Result { try NIOSSLContext(configuration: configuration) }
    }

    /// The name to send as SNI and to verify. An IP address is never sent as
    /// SNI (RFC 6066 § 3); a verifying handshake then checks the address.
    static func hostname(for policy: TLSPolicy, serverName: String?) -> String? {
        var name = serverName
        if case .required(let configured?) = policy { name = configured }
        guard let name, !name.isEmpty, !isIPAddress(name) else { return nil }
        return name
    }

    static func isIPAddress(_ text: String) -> Bool {
        IPAddress(text) != nil
    }

    static func describe(_ version: TLSVersion?) -> String {
        switch version {
        case .tlsv1: return "TLSv1"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        default: return "TLS"
        }
    }
}
