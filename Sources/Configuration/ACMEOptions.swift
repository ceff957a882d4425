/// `[tls.acme]`: certificates from an ACME certificate authority (RFC 8555)
/// with HTTP-01 validation. Off unless `directory` is set.
public struct ACMEOptions: Sendable {
    /// The CA's directory URL, e.g. https://acme-v02.api.letsencrypt.org/directory.
    public var directory: String
    /// `mailto:` addresses the CA may write to about the account.
    public var contact: [String] = []
    /// The names the certificate covers; empty means the server's hostname.
    public var domains: [String] = []
    /// Where the HTTP-01 responder listens: port 80 of an address the CA reaches.
    public var httpListen = ListenAddress(host: "0.0.0.0", port: 80)
    /// A PEM file of extra certificates to trust for the CA's HTTPS (a test
    /// or private CA such as pebble).
    public var caCertificate: String?
    /// Renew this long before expiry instead of at two thirds of the lifetime.
    public var renewBefore: Duration?

    /// Where the account key and the issued certificate live, relative to
    /// the data directory.
    public static let accountKeyPath = "acme/account.key"
    public static let certificatePath = "acme/cert.pem"
    public static let keyPath = "acme/key.pem"

    public init(directory: String) {
        self.directory = directory
    }

    /// The names to order: `domains`, or the hostname alone.
    public func names(hostname: String) -> [String] {
        domains.isEmpty ? [hostname] : domains
    }
}
