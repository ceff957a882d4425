import Foundation
import MailCore
import MailStore
import Queue
import Synchronization

/// Delivers delivery status notifications: into the sender's Maildir when
/// the sender is local, otherwise back into the queue from `<>`.
final class ServerBounces: BounceSink {
    let directory: Directory
    let delivery: LocalDelivery
    let spool: Spool
    let queueIDs: QueueIDGenerator
    /// Set once the runner exists (the runner needs this sink first).
    let runner = Mutex<QueueRunner?>(nil)

    init(directory: Directory, delivery: LocalDelivery, spool: Spool, queueIDs: QueueIDGenerator) {
        self.directory = directory
        self.delivery = delivery
        self.spool = spool
        self.queueIDs = queueIDs
    }

    func deliverBounce(_ message: [UInt8], to sender: String, about queueID: String) async throws -> String {
        let id = queueIDs.next()
        let path: EnvelopePath
        do {
            path = .mailbox(try PathParser.parseMailbox(Substring(sender), allowUTF8: true))
        } catch {
            throw DeliveryError.ioError("sender <\(sender)> is not a valid address: \(error)")
        }
        // RFC 5321 § 4.4: the final delivery adds Return-Path; a bounce's is <>.
        let bytes = Array("Return-Path: <>\r\n".utf8) + message
        let directory = self.directory
        switch try await delivery.run({ try directory.resolve(path) }) {
        case .accounts(let accounts):
            _ = try await delivery.deliver(bytes, to: accounts, id: id)
        case .unknownUser:
            throw DeliveryError.ioError("local sender <\(sender)> no longer exists")
        case .notLocal:
            guard let runner = runner.withLock({ $0 }), case .mailbox(let mailbox) = path, let domain = mailbox.domain.name else {
                throw DeliveryError.ioError("cannot queue a bounce for <\(sender)>")
            }
            let envelope = QueuedMessage(
                id: id.rawValue, reversePath: "",
                recipients: [QueuedRecipient(address: sender, domain: domain, permission: "bounce of \(queueID)")],
                created: Date(), receivedFrom: "localhost")
            let spool = self.spool
            try await delivery.run { try spool.enqueue(message, envelope: envelope) }
            runner.submit(envelope)
        }
        return id.rawValue
    }
}
