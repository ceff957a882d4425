import Crypto
import Foundation
import SwiftASN1
import Synchronization
import X509

@testable import ACME

/// An ACME server in memory, strict where RFC 8555 is: every POST must carry
/// a nonce it handed out (used once), the `url` it was sent to, and a valid
/// ES256 signature by the account key; the HTTP-01 check reads the
/// challenge board as a CA would read port 80.
final class FakeCertificateAuthority: ACMETransport, Sendable {
    struct Behaviour: Sendable {
        /// Refuse the first nonce of the given POST URL suffix with badNonce.
        var rejectNonceOnceFor: String?
        /// newOrder answers rateLimited with this Retry-After.
        var rateLimitRetryAfter: String?
        /// The HTTP-01 check fails (as if port 80 answered something else).
        var challengeFails = false
        /// Polls of the authorization that stay "pending", each with this Retry-After.
        var pendingPolls = 0
        var pendingRetryAfter: String?
    }

    struct State {
        var nonces: Set<String> = []
        var nextNonce = 0
        var accountJWK: String?
        var authorizationStatus = "pending"
        var challengeStatus = "pending"
        var orderStatus = "pending"
        var pendingPollsLeft = 0
        var domains: [String] = []
        var certificatePEM: String?
        var rejectedOnce = false
        var requests: [String] = []
        var challengeError: String?
    }

    let base = "https://ca.test"
    let board: ChallengeBoard
    let behaviour: Behaviour
    let state: Mutex<State>
    let caKey = P256.Signing.PrivateKey()

    init(board: ChallengeBoard, behaviour: Behaviour = Behaviour()) {
        self.board = board
        self.behaviour = behaviour
        state = Mutex(State(pendingPollsLeft: behaviour.pendingPolls))
    }

    var requests: [String] { state.withLock { $0.requests } }
    var directoryURL: String { "\(base)/dir" }

    func send(_ request: ACMERequest) async throws -> ACMEResponse {
        let path = String(request.url.dropFirst(base.count))
        state.withLock { $0.requests.append("\(request.method.rawValue) \(path)") }
        switch (request.method, path) {
        case (.get, "/dir"):
            // No Replay-Nonce here (RFC 8555 § 7.2: newNonce and POST answers carry them).
            let directory =
                #"{"newNonce":"\#(base)/nonce","newAccount":"\#(base)/account","newOrder":"\#(base)/order","meta":{"termsOfService":"x"}}"#
            return ACMEResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(directory.utf8))
        case (.head, "/nonce"): return ACMEResponse(status: 200, headers: ["Replay-Nonce": freshNonce()])
        case (.post, _): return try post(path, request)
        default: return problem(404, "malformed", "no such resource")
        }
    }

    private func post(_ path: String, _ request: ACMERequest) throws -> ACMEResponse {
        guard let body = request.body, let jws = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: String],
            let protected64 = jws["protected"], let payload64 = jws["payload"], let signature64 = jws["signature"],
            let protectedBytes = Base64URL.decode(protected64), let signature = Base64URL.decode(signature64),
            let header = try JSONSerialization.jsonObject(with: Data(protectedBytes)) as? [String: Any],
            let nonce = header["nonce"] as? String, let url = header["url"] as? String
        else { return problem(400, "malformed", "not a flattened JWS") }
        guard header["alg"] as? String == "ES256" else { return problem(400, "badSignatureAlgorithm", "ES256 expected") }
        guard url == "\(base)\(path)" else { return problem(401, "unauthorized", "url \(url) is not \(base)\(path)") }
        let known = state.withLock { $0.nonces.remove(nonce) != nil }
        guard known else { return problem(400, "badNonce", "unknown nonce") }
        if let suffix = behaviour.rejectNonceOnceFor, path.hasSuffix(suffix) {
            let first = state.withLock { state in
                defer { state.rejectedOnce = true }
                return !state.rejectedOnce
            }
            if first { return problem(400, "badNonce", "JWS has an invalid anti-replay nonce") }
        }
        // The signing key: the jwk itself (newAccount) or the account's (kid).
        let jwkText: String
        if let jwk = header["jwk"] {
            guard header["kid"] == nil, path == "/account",
                let data = try? JSONSerialization.data(withJSONObject: jwk, options: [.sortedKeys]),
                let text = String(data: data, encoding: .utf8)
            else { return problem(400, "malformed", "jwk only for newAccount") }
            jwkText = text
        } else {
            guard header["kid"] as? String == "\(base)/acct/1", let registered = state.withLock({ $0.accountJWK }) else {
                return problem(400, "accountDoesNotExist", "unknown kid")
            }
            jwkText = registered
        }
        guard let publicKey = Self.publicKey(jwk: jwkText),
            let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature),
            publicKey.isValidSignature(ecdsa, for: Data("\(protected64).\(payload64)".utf8))
        else { return problem(400, "unauthorized", "bad signature") }
        let payload = Base64URL.decode(payload64).flatMap { try? JSONSerialization.jsonObject(with: Data($0)) } as? [String: Any]
        return try handle(path, payload: payload, payloadIsEmpty: payload64.isEmpty, jwk: jwkText)
    }

    private func handle(_ path: String, payload: [String: Any]?, payloadIsEmpty: Bool, jwk: String) throws -> ACMEResponse {
        switch path {
        case "/account":
            guard payload?["termsOfServiceAgreed"] as? Bool == true else {
                return problem(400, "userActionRequired", "terms of service not agreed")
            }
            state.withLock { $0.accountJWK = jwk }
            return json(201, #"{"status":"valid"}"#, location: "\(base)/acct/1")
        case "/order":
            if let retryAfter = behaviour.rateLimitRetryAfter {
                var response = problem(429, "rateLimited", "too many certificates already issued for this domain")
                response.headers["retry-after"] = retryAfter
                return response
            }
            let identifiers = (payload?["identifiers"] as? [[String: String]]) ?? []
            state.withLock { $0.domains = identifiers.compactMap { $0["value"] } }
            return json(201, orderJSON(), location: "\(base)/order/1")
        case "/order/1":
            return json(200, orderJSON())
        case "/authz/1":
            guard payloadIsEmpty else { return problem(400, "malformed", "POST-as-GET wants an empty payload") }
            let (status, retryAfter) = state.withLock { state -> (String, String?) in
                if state.authorizationStatus == "pending", state.challengeStatus == "processing" {
                    if state.pendingPollsLeft > 0 {
                        state.pendingPollsLeft -= 1
                        return ("pending", behaviour.pendingRetryAfter)
                    }
                    state.authorizationStatus = state.challengeError == nil ? "valid" : "invalid"
                    state.challengeStatus = state.authorizationStatus
                    if state.authorizationStatus == "valid" { state.orderStatus = "ready" } else { state.orderStatus = "invalid" }
                }
                return (state.authorizationStatus, nil)
            }
            var response = json(200, authorizationJSON(status: status))
            if let retryAfter { response.headers["retry-after"] = retryAfter }
            return response
        case "/chall/1":
            // The CA's HTTP-01 check (§ 8.3), against the board.
            let expected = "tok-1.\(Base64URL.encode(SHA256.hash(data: Data(jwk.utf8))))"
            let offered = board.keyAuthorization(for: "tok-1")
            state.withLock { state in
                state.challengeStatus = "processing"
                if behaviour.challengeFails || offered != expected {
                    state.challengeError =
                        #"{"type":"urn:ietf:params:acme:error:connection","detail":"192.0.2.1: Fetching http://mx.example.org/.well-known/acme-challenge/tok-1: Connection refused"}"#
                }
            }
            return json(200, #"{"type":"http-01","url":"\#(base)/chall/1","status":"processing","token":"tok-1"}"#)
        case "/finalize/1":
            guard state.withLock({ $0.orderStatus }) == "ready" else { return problem(403, "orderNotReady", "not ready") }
            guard let csr64 = payload?["csr"] as? String, let der = Base64URL.decode(csr64) else {
                return problem(400, "badCSR", "no csr")
            }
            let pem = try issue(csr: der)
            state.withLock {
                $0.certificatePEM = pem
                $0.orderStatus = "valid"
            }
            return json(200, orderJSON())
        case "/cert/1":
            guard let pem = state.withLock({ $0.certificatePEM }) else { return problem(404, "malformed", "none") }
            return ACMEResponse(
                status: 200, headers: ["Content-Type": "application/pem-certificate-chain", "Replay-Nonce": freshNonce()],
                body: Array(pem.utf8))
        default:
            return problem(404, "malformed", "no such resource \(path)")
        }
    }

    /// Signs the CSR's key and names, as a CA would (after checking the CSR's signature).
    private func issue(csr der: [UInt8]) throws -> String {
        let request = try CertificateSigningRequest(derEncoded: der)
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw ACMEError.protocolViolation("bad CSR signature")
        }
        let names = try request.attributes.extensionRequest?.extensions.subjectAlternativeNames ?? SubjectAlternativeNames([])
        let issuer = try DistinguishedName { CommonName("Fake Intermediate") }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: request.publicKey,
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(90 * 86_400),
            issuer: issuer, subject: request.subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { names }, issuerPrivateKey: Certificate.PrivateKey(caKey))
        return try certificate.serializeAsPEM().pemString + "\n"
    }

    private func orderJSON() -> String {
        state.withLock { state in
            let identifiers = state.domains.map { #"{"type":"dns","value":"\#($0)"}"# }.joined(separator: ",")
            let certificate = state.orderStatus == "valid" ? #","certificate":"\#(base)/cert/1""# : ""
            let error =
                state.orderStatus == "invalid"
                ? #","error":{"type":"urn:ietf:params:acme:error:unauthorized","detail":"an authorization failed"}"# : ""
            return
                #"{"status":"\#(state.orderStatus)","identifiers":[\#(identifiers)],"authorizations":["\#(base)/authz/1"],"finalize":"\#(base)/finalize/1"\#(certificate)\#(error)}"#
        }
    }

    private func authorizationJSON(status: String) -> String {
        state.withLock { state in
            let error = state.challengeError.map { #","error":\#($0)"# } ?? ""
            return
                #"{"identifier":{"type":"dns","value":"\#(state.domains.first ?? "")"},"status":"\#(status)","challenges":[{"type":"dns-01","url":"\#(base)/chall/2","status":"pending","token":"tok-2"},{"type":"http-01","url":"\#(base)/chall/1","status":"\#(state.challengeStatus)","token":"tok-1"\#(error)}]}"#
        }
    }

    private func freshNonce() -> String {
        state.withLock { state in
            state.nextNonce += 1
            let nonce = "nonce-\(state.nextNonce)"
            state.nonces.insert(nonce)
            return nonce
        }
    }

    private func json(_ status: Int, _ text: String, location: String? = nil) -> ACMEResponse {
        var headers = ["Content-Type": "application/json", "Replay-Nonce": freshNonce()]
        if let location { headers["Location"] = location }
        return ACMEResponse(status: status, headers: headers, body: Array(text.utf8))
    }

    private func problem(_ status: Int, _ name: String, _ detail: String) -> ACMEResponse {
        ACMEResponse(
            status: status, headers: ["Content-Type": "application/problem+json", "Replay-Nonce": freshNonce()],
            body: Array(#"{"type":"urn:ietf:params:acme:error:\#(name)","detail":"\#(detail)","status":\#(status)}"#.utf8))
    }

    static func publicKey(jwk: String) -> P256.Signing.PublicKey? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(jwk.utf8)) as? [String: String],
            object["kty"] == "EC", object["crv"] == "P-256",
            let x = object["x"].flatMap(Base64URL.decode), let y = object["y"].flatMap(Base64URL.decode)
        else { return nil }
        return try? P256.Signing.PublicKey(x963Representation: [0x04] + x + y)
    }
}
