import Foundation
import MailCore
import Queue
import SMTPProtocol

/// Where one accepted message goes: the Maildirs of its local recipients
/// and, for its relayed recipients, one queue entry. A pure value, decided
/// from the transaction alone, so the driver only carries it out.
struct StorageRoute: Equatable {
    /// Accounts whose Maildir gets a copy, each once, in the order first named.
    var localAccounts: [String] = []
    /// The queue entry for the relayed recipients; nil when there are none.
    var queueEntry: QueuedMessage?

    init(_ transaction: MailTransaction, clientAddress: String, now: Date) {
        var seen = Set<String>()
        var remote: [QueuedRecipient] = []
        for recipient in transaction.recipients {
            switch recipient.destination {
            case .local(let accounts):
                // An alias and its target, or two aliases of one account: one copy.
                localAccounts += accounts.filter { seen.insert($0).inserted }
            case .relay(let domain, let permission):
                // RecipientPolicy relays only mailboxes (never <Postmaster> alone).
                guard let mailbox = recipient.path.mailbox else { continue }
                remote.append(QueuedRecipient(address: mailbox.description, domain: domain, permission: permission.description))
            }
        }
        if !remote.isEmpty {
            queueEntry = QueuedMessage(
                id: transaction.id.rawValue, reversePath: transaction.reversePath.mailbox?.description ?? "",
                recipients: remote, created: now, receivedFrom: clientAddress)
        }
    }
}
