import Foundation

/// One conversation with an ACME server (RFC 8555): the directory, nonces,
/// the account, and signed requests. An actor because the nonce that one
/// answer hands out is spent by the next request.
public actor ACMEClient {
    let transport: any ACMETransport
    let directoryURL: String
    public let key: AccountKey
    /// Waits between polls; tests pass one that returns at once.
    let sleep: @Sendable (Duration) async throws -> Void
    private var directory: ACMEDirectory?
    private var nonce: String?
    public private(set) var accountURL: String?

    public init(
        transport: any ACMETransport, directoryURL: String, key: AccountKey,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.transport = transport
        self.directoryURL = directoryURL
        self.key = key
        self.sleep = sleep
    }

    func loadDirectory() async throws -> ACMEDirectory {
        if let directory { return directory }
        let response = try await exchange(ACMERequest(method: .get, url: directoryURL))
        guard response.status == 200 else { throw problem(response, url: directoryURL) }
        let fresh = try decode(ACMEDirectory.self, response, url: directoryURL)
        directory = fresh
        return fresh
    }

    /// § 7.2: a nonce from the last answer, or a new one from newNonce.
    private func takeNonce() async throws -> String {
        if let nonce {
            self.nonce = nil
            return nonce
        }
        let url = try await loadDirectory().newNonce
        let response = try await exchange(ACMERequest(method: .head, url: url))
        guard let fresh = response.header("Replay-Nonce"), !fresh.isEmpty else {
            throw ACMEError.protocolViolation("newNonce gave no Replay-Nonce (HTTP \(response.status))")
        }
        return fresh
    }

    /// A signed POST (§ 6.2). § 6.5: "When a server rejects a request because
    /// its nonce value was unacceptable […] the client SHOULD retry the
    /// request using the new nonce" — once, with the nonce of the refusal.
    func post(_ url: String, payload: String?) async throws -> ACMEResponse {
        var retried = false
        while true {
            let signer: JWS.Signer = accountURL.map { .kid($0) } ?? .jwk
            let body = try JWS.body(key: key, signer: signer, nonce: try await takeNonce(), url: url, payload: payload)
            let response = try await exchange(ACMERequest(method: .post, url: url, body: body))
            if response.status < 400 { return response }
            let refusal = problem(response, url: url)
            if refusal.problemName == "badNonce", !retried {
                retried = true
                continue
            }
            throw refusal
        }
    }

    /// § 7.3: creates the account, or finds the existing one for this key
    /// (200 instead of 201); either way the Location is the `kid`.
    public func register(contact: [String]) async throws -> String {
        if let accountURL { return accountURL }
        let url = try await loadDirectory().newAccount
        let contactJSON = contact.map(JWS.jsonString).joined(separator: ",")
        let response = try await post(url, payload: #"{"termsOfServiceAgreed":true,"contact":[\#(contactJSON)]}"#)
        guard let location = response.header("Location"), !location.isEmpty else {
            throw ACMEError.protocolViolation("newAccount gave no Location (HTTP \(response.status))")
        }
        accountURL = location
        return location
    }

    /// § 7.4: the order and its URL.
    func newOrder(domains: [String]) async throws -> (order: ACMEOrder, url: String) {
        let url = try await loadDirectory().newOrder
        let identifiers = domains.map { #"{"type":"dns","value":\#(JWS.jsonString($0))}"# }.joined(separator: ",")
        let response = try await post(url, payload: #"{"identifiers":[\#(identifiers)]}"#)
        guard let location = response.header("Location"), !location.isEmpty else {
            throw ACMEError.protocolViolation("newOrder gave no Location (HTTP \(response.status))")
        }
        return (try decode(ACMEOrder.self, response, url: url), location)
    }

    /// POST-as-GET (§ 6.3) of a JSON resource.
    func fetch<Resource: Decodable>(_ type: Resource.Type, _ url: String) async throws -> (Resource, ACMEResponse) {
        let response = try await post(url, payload: nil)
        return (try decode(type, response, url: url), response)
    }

    /// § 7.5.1: tells the server the challenge is ready to be checked.
    func respond(to challenge: ACMEChallenge) async throws {
        _ = try await post(challenge.url, payload: "{}")
    }

    /// § 7.4: sends the CSR (DER); the answer is the order.
    func finalize(_ order: ACMEOrder, csr: [UInt8]) async throws -> ACMEOrder {
        let response = try await post(order.finalize, payload: #"{"csr":"\#(Base64URL.encode(csr))"}"#)
        return try decode(ACMEOrder.self, response, url: order.finalize)
    }

    /// § 7.4.2: the chain, PEM (application/pem-certificate-chain).
    func downloadCertificate(_ url: String) async throws -> String {
        let response = try await post(url, payload: nil)
        guard let text = String(bytes: response.body, encoding: .utf8), text.contains("-----BEGIN CERTIFICATE-----") else {
            throw ACMEError.protocolViolation("the certificate at \(url) is not a PEM chain")
        }
        return text
    }

    /// Polls `url` until `isSettled` says so, waiting as the server's
    /// Retry-After asks (bounded: see `PollSchedule`).
    func poll<Resource: Decodable>(
        _ type: Resource.Type, _ url: String, what: String, status: (Resource) -> String, isSettled: (Resource) -> Bool
    ) async throws -> Resource {
        var schedule = PollSchedule()
        while true {
            let (resource, response) = try await fetch(type, url)
            if isSettled(resource) { return resource }
            guard let delay = schedule.next(retryAfter: response.header("Retry-After")) else {
                throw ACMEError.timedOut(what: what, status: status(resource))
            }
            try await sleep(delay)
        }
    }

    private func exchange(_ request: ACMERequest) async throws -> ACMEResponse {
        let response: ACMEResponse
        do {
            response = try await transport.send(request)
        } catch let error as ACMEError {
            throw error
        } catch {
            throw ACMEError.transport("\(request.method.rawValue) \(request.url): \(error)")
        }
        if let fresh = response.header("Replay-Nonce"), !fresh.isEmpty { nonce = fresh }
        return response
    }

    private func problem(_ response: ACMEResponse, url: String) -> ACMEError {
        var document =
            (try? JSONDecoder().decode(ACMEProblem.self, from: Data(response.body)))
            ?? ACMEProblem(type: nil, detail: "HTTP \(response.status)", status: response.status)
        if document.type == nil, document.detail == nil { document.detail = "HTTP \(response.status)" }
        document.retryAfter = response.header("Retry-After").flatMap(PollSchedule.parseRetryAfter)
        return .problem(document, url: url)
    }

    private func decode<Resource: Decodable>(_ type: Resource.Type, _ response: ACMEResponse, url: String) throws -> Resource {
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw ACMEError.protocolViolation("\(url) answered HTTP \(response.status) with an unreadable \(type): \(error)")
        }
    }
}
