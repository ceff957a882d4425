import Foundation
import Logging

/// A certificate as issued: the PEM chain (leaf first) and its new key.
public struct IssuedCertificate: Sendable {
    public var chainPEM: String
    public var keyPEM: String
}

/// The whole of RFC 8555 § 7 for one certificate with HTTP-01 challenges:
/// account, order, authorizations, finalize, download.
public struct CertificateOrder: Sendable {
    let client: ACMEClient
    let board: ChallengeBoard
    let logger: Logger

    public init(client: ACMEClient, board: ChallengeBoard, logger: Logger) {
        self.client = client
        self.board = board
        self.logger = logger
    }

    public func issue(domains: [String], contact: [String]) async throws -> IssuedCertificate {
        let account = try await client.register(contact: contact)
        logger.debug("ACME account \(account)")
        let (order, orderURL) = try await client.newOrder(domains: domains)
        logger.debug("ACME order \(orderURL): \(order.status)")
        if order.status == "invalid" { throw ACMEError.orderFailed(order.error) }
        var published: [String] = []
        defer { for token in published { board.withdraw(token: token) } }
        for url in order.authorizations {
            try await authorize(url, published: &published)
        }
        // § 7.4: the order is "ready" once every authorization is valid.
        let ready = try await client.poll(
            ACMEOrder.self, orderURL, what: "order", status: \.status, isSettled: { $0.status != "pending" })
        guard ready.status == "ready" || ready.status == "valid" else { throw ACMEError.orderFailed(ready.error) }
        let request = try CertificateRequest(domains: domains)
        var finalized = ready
        if ready.status == "ready" { finalized = try await client.finalize(ready, csr: request.der) }
        if finalized.status != "valid" {
            finalized = try await client.poll(
                ACMEOrder.self, orderURL, what: "certificate", status: \.status,
                isSettled: { $0.status == "valid" || $0.status == "invalid" })
        }
        guard finalized.status == "valid", let certificateURL = finalized.certificate else {
            throw ACMEError.orderFailed(finalized.error)
        }
        let chain = try await client.downloadCertificate(certificateURL)
        return IssuedCertificate(chainPEM: chain, keyPEM: request.keyPEM)
    }

    /// § 7.5: offers the HTTP-01 answer, tells the server, waits for the verdict.
    private func authorize(_ url: String, published: inout [String]) async throws {
        let (authorization, _) = try await client.fetch(ACMEAuthorization.self, url)
        let domain = authorization.identifier.value
        switch authorization.status {
        case "valid": return  // validated before, still within its lifetime
        case "pending": break
        default:
            throw ACMEError.authorizationFailed(domain: domain, authorization.challenges.compactMap(\.error).first)
        }
        guard let challenge = authorization.challenges.first(where: { $0.type == "http-01" }), let token = challenge.token
        else {
            throw ACMEError.protocolViolation("no http-01 challenge offered for \(domain)")
        }
        // § 8.3: the token is base64url; anything else could name another path.
        guard !token.isEmpty, token.allSatisfy(\.isBase64URL) else {
            throw ACMEError.protocolViolation("the http-01 token for \(domain) is not base64url")
        }
        board.publish(token: token, keyAuthorization: client.key.keyAuthorization(token: token))
        published.append(token)
        logger.info("ACME validating \(domain) by HTTP-01")
        try await client.respond(to: challenge)
        let settled = try await client.poll(
            ACMEAuthorization.self, url, what: "validation of \(domain)", status: \.status,
            isSettled: { $0.status != "pending" })
        guard settled.status == "valid" else {
            let reason =
                settled.challenges.first(where: { $0.type == "http-01" })?.error ?? settled.challenges.compactMap(\.error).first
            throw ACMEError.authorizationFailed(domain: domain, reason)
        }
    }
}

extension Character {
    var isBase64URL: Bool {
        guard isASCII, let ascii = asciiValue else { return false }
        return (ascii >= 0x30 && ascii <= 0x39) || (ascii >= 0x41 && ascii <= 0x5A) || (ascii >= 0x61 && ascii <= 0x7A)
            || self == "-" || self == "_"
    }
}
