import Crypto
import Foundation
import Logging
import Synchronization
import Testing

@testable import ACME

@Suite struct CertificateOrderTests {
    let board = ChallengeBoard()
    let logger = Logger(label: "test")

    /// The waits the order asked for (it never really sleeps).
    final class Waits: Sendable {
        let list = Mutex<[Duration]>([])
        var all: [Duration] { list.withLock { $0 } }
    }

    private func order(_ ca: FakeCertificateAuthority, waits: Waits = Waits()) -> CertificateOrder {
        let client = ACMEClient(
            transport: ca, directoryURL: ca.directoryURL, key: AccountKey(),
            sleep: { delay in waits.list.withLock { $0.append(delay) } })
        return CertificateOrder(client: client, board: board, logger: logger)
    }

    @Test func issuesACertificateForTheDomainsWithItsOwnKey() async throws {
        let ca = FakeCertificateAuthority(board: board)
        let issued = try await order(ca).issue(domains: ["mx.example.org"], contact: ["mailto:postmaster@example.org"])
        let facts = try #require(CertificateFacts(pemChain: issued.chainPEM))
        #expect(facts.names == ["mx.example.org"])
        #expect(facts.issuer.contains("Fake Intermediate"))
        // The served key is the one the certificate certifies.
        let key = try P256.Signing.PrivateKey(pemRepresentation: issued.keyPEM)
        let leaf = try #require(FakeCertificateAuthority.leafPublicKey(issued.chainPEM))
        #expect(leaf.rawRepresentation == key.publicKey.rawRepresentation)
        // The answer was withdrawn from port 80 once the order ended.
        #expect(board.keyAuthorization(for: "tok-1") == nil)
        #expect(
            ca.requests == [
                "GET /dir", "HEAD /nonce", "POST /account", "POST /order", "POST /authz/1", "POST /chall/1", "POST /authz/1",
                "POST /order/1", "POST /finalize/1", "POST /cert/1",
            ])
    }

    @Test func aFailedChallengeReportsTheCAsProblemText() async throws {
        let ca = FakeCertificateAuthority(board: board, behaviour: .init(challengeFails: true))
        let error = await #expect(throws: ACMEError.self) {
            _ = try await order(ca).issue(domains: ["mx.example.org"], contact: [])
        }
        let text = try #require(error).description
        #expect(text.contains("validation of mx.example.org failed"))
        #expect(
            text.contains(
                "connection: 192.0.2.1: Fetching http://mx.example.org/.well-known/acme-challenge/tok-1: Connection refused"))
        #expect(text.contains("check the firewall"))
        #expect(!ca.requests.contains("POST /finalize/1"))
        #expect(board.keyAuthorization(for: "tok-1") == nil)
    }

    @Test func aBadNonceIsRetriedOnceWithTheNonceOfTheRefusal() async throws {
        let ca = FakeCertificateAuthority(board: board, behaviour: .init(rejectNonceOnceFor: "/order"))
        _ = try await order(ca).issue(domains: ["mx.example.org"], contact: [])
        #expect(ca.requests.filter { $0 == "POST /order" }.count == 2)
        // No extra newNonce round trip: the refusal carried a fresh nonce.
        #expect(ca.requests.filter { $0 == "HEAD /nonce" }.count == 1)
    }

    @Test func aRateLimitIsAProblemWithItsRetryAfter() async throws {
        let ca = FakeCertificateAuthority(board: board, behaviour: .init(rateLimitRetryAfter: "3600"))
        let error = await #expect(throws: ACMEError.self) {
            _ = try await order(ca).issue(domains: ["mx.example.org"], contact: [])
        }
        guard case .problem(let problem, let url) = try #require(error) else {
            Issue.record("not a problem document: \(String(describing: error))")
            return
        }
        #expect(problem.name == "rateLimited")
        #expect(problem.retryAfter == .seconds(3600))
        #expect(url == "https://ca.test/order")
        #expect(
            problem.description
                == "rateLimited: too many certificates already issued for this domain (the certificate authority's rate limit; SIMS retries later)"
        )
        let backoff = RenewalSchedule.backoff(failures: 1, jitter: 0, retryAfter: problem.retryAfter)
        #expect(backoff == .seconds(3600))
    }

    @Test func pollingFollowsRetryAfterWithinBounds() async throws {
        let waits = Waits()
        let ca = FakeCertificateAuthority(board: board, behaviour: .init(pendingPolls: 3, pendingRetryAfter: "86400"))
        _ = try await order(ca, waits: waits).issue(domains: ["mx.example.org"], contact: [])
        // A day's Retry-After is capped at 30 s per poll.
        #expect(waits.all == [.seconds(30), .seconds(30), .seconds(30)])
    }

    @Test func pollingGivesUpWhenTheBudgetIsSpent() async throws {
        let ca = FakeCertificateAuthority(board: board, behaviour: .init(pendingPolls: 1000, pendingRetryAfter: "30"))
        let error = await #expect(throws: ACMEError.self) {
            _ = try await order(ca).issue(domains: ["mx.example.org"], contact: [])
        }
        #expect(error == .timedOut(what: "validation of mx.example.org", status: "pending"))
    }
}

extension FakeCertificateAuthority {
    static func leafPublicKey(_ pem: String) -> P256.Signing.PublicKey? {
        guard let facts = try? X509Leaf(pem) else { return nil }
        return facts
    }
}
