/// A problem document (RFC 7807) as ACME servers send them (RFC 8555 § 6.7):
/// `type` is `urn:ietf:params:acme:error:<name>`, `detail` the server's text.
public struct ACMEProblem: Decodable, Sendable, Equatable, CustomStringConvertible {
    public var type: String?
    public var detail: String?
    public var status: Int?
    public var subproblems: [ACMEProblem]?
    public var identifier: ACMEIdentifier?
    /// From the response's Retry-After header (RFC 8555 § 6.6: rate limits
    /// say when to come back), set by the client, not part of the document.
    public var retryAfter: Duration?

    enum CodingKeys: String, CodingKey { case type, detail, status, subproblems, identifier }

    public init(type: String?, detail: String?, status: Int? = nil) {
        self.type = type
        self.detail = detail
        self.status = status
    }

    static let prefix = "urn:ietf:params:acme:error:"

    /// The short name (`badNonce`, `rateLimited`, `unauthorized`…), or the
    /// whole type for problems outside the ACME namespace.
    public var name: String? {
        guard let type else { return nil }
        return type.hasPrefix(Self.prefix) ? String(type.dropFirst(Self.prefix.count)) : type
    }

    /// One line for the log: what the server said, and for what.
    public var description: String {
        var text = name ?? "error"
        if let identifier { text += " for \(identifier.value)" }
        if let detail, !detail.isEmpty { text += ": \(detail)" }
        if let explanation = Self.explanations[name ?? ""] { text += " (\(explanation))" }
        for sub in subproblems ?? [] { text += "; \(sub)" }
        return text
    }

    /// What an operator should look at for the problems RFC 8555 § 6.7 lists
    /// that a mail server's operator can do something about.
    static let explanations: [String: String] = [
        "rateLimited": "the certificate authority's rate limit; SIMS retries later",
        "connection": "the CA could not reach this host on port 80; check the firewall and the DNS address",
        "dns": "the CA could not resolve the name; check its A/AAAA records",
        "unauthorized": "in a validation: the answer on port 80 did not match; is another server answering there?",
        "incorrectResponse": "the answer on port 80 did not match; is another server answering there?",
        "rejectedIdentifier": "the CA will not issue for this name",
        "caa": "a CAA record forbids this CA",
        "invalidContact": "the contact address was refused; check [tls.acme] contact",
        "unsupportedContact": "the contact address was refused; check [tls.acme] contact",
        "userActionRequired": "visit the CA's terms of service",
        "badCSR": "the CA refused the certificate request",
    ]
}
