import Foundation
import MailCore
import SMTPProtocol
import Testing

@testable import Server

@Suite("StorageRoute: where an accepted message goes")
struct StorageRouteTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    func path(_ local: String, _ domain: String) -> EnvelopePath {
        .mailbox(Mailbox(localPart: local, domain: .name(domain)))
    }

    func transaction(_ recipients: [AcceptedRecipient]) -> MailTransaction {
        var transaction = MailTransaction(
            id: QueueID(rawValue: "S.ROUTE"), reversePath: path("alice", "example.test"), parameters: MailParameters())
        transaction.recipients = recipients
        return transaction
    }

    @Test("Local recipients become accounts, each once, in the order first named; no queue entry")
    func localOnly() {
        let route = StorageRoute(
            transaction([
                AcceptedRecipient(
                    path: path("sales", "example.test"),
                    destination: .local(accounts: ["bob@example.test", "carol@example.test"])),
                AcceptedRecipient(path: path("bob", "example.test"), destination: .local(accounts: ["bob@example.test"])),
                AcceptedRecipient(path: .localPostmaster, destination: .local(accounts: ["alice@example.test"])),
            ]), clientAddress: "192.0.2.1", now: Self.now)
        #expect(route.localAccounts == ["bob@example.test", "carol@example.test", "alice@example.test"])
        #expect(route.queueEntry == nil)
    }

    @Test("Relayed recipients become one queue entry with their permission; local ones still get their copy")
    func mixed() throws {
        let route = StorageRoute(
            transaction([
                AcceptedRecipient(
                    path: path("bob", "remote.test"),
                    destination: .relay(domain: "remote.test", permission: .authenticated("alice@example.test"))),
                AcceptedRecipient(path: path("alice", "example.test"), destination: .local(accounts: ["alice@example.test"])),
                AcceptedRecipient(
                    path: path("Carol", "other.test"),
                    destination: .relay(domain: "other.test", permission: .clientNetwork("192.0.2.0/24"))),
            ]), clientAddress: "192.0.2.1", now: Self.now)
        #expect(route.localAccounts == ["alice@example.test"])
        let entry = try #require(route.queueEntry)
        #expect(entry.id == "S.ROUTE")
        #expect(entry.reversePath == "alice@example.test")
        #expect(entry.receivedFrom == "192.0.2.1")
        #expect(entry.created == Self.now)
        #expect(entry.recipients.map(\.address) == ["bob@remote.test", "Carol@other.test"])
        #expect(entry.recipients.map(\.domain) == ["remote.test", "other.test"])
        #expect(entry.recipients[0].permission == RelayPermission.authenticated("alice@example.test").description)
    }

    @Test("A bounce's null sender is queued as the empty reverse path")
    func nullSender() throws {
        var bounce = transaction([
            AcceptedRecipient(
                path: path("bob", "remote.test"),
                destination: .relay(domain: "remote.test", permission: .clientNetwork("192.0.2.0/24")))
        ])
        bounce.reversePath = .null
        let entry = try #require(StorageRoute(bounce, clientAddress: "192.0.2.1", now: Self.now).queueEntry)
        #expect(entry.reversePath == "")
        #expect(entry.isBounce)
    }
}
