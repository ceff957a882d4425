import MailCore
import NIOCore

extension SMTPSession {
    // MARK: MAIL

    mutating func mail(_ path: EnvelopePath, _ parameters: MailParameters, newQueueID: () -> QueueID) -> SMTPSessionAction {
        switch state {
        case .awaitingHello: return failure(Replies.helloFirst)
        case .transaction: return failure(SMTPReply(503, .init(5, 5, 1), "Nested MAIL command"))
        default: break
        }
        if configuration.authenticationRequired && authenticatedUser == nil {
            // RFC 6409 § 4.3 / RFC 4954 § 6: submission requires authentication.
            return failure(SMTPReply(530, .init(5, 7, 0), "Authentication required"))
        }
        if let user = authenticatedUser, let sender = path.mailbox {
            // An authenticated user sends as itself or one of its aliases,
            // so a stolen password cannot forge anyone else's mail from here.
            let address = "\(sender.localPart.lowercased())@\(sender.domain)"
            let allowed =
                ownedAddresses.contains(address) || ownedAddresses.contains("*@\(sender.domain)") || ownedAddresses.contains("*")
            guard allowed else {
                return failure(SMTPReply(553, .init(5, 7, 1), "Sender address <\(address)> is not owned by \(user)"))
            }
        }
        if let declared = parameters.declaredSize, declared > configuration.maximumMessageSize {
            // RFC 1870 § 6.2: refuse at MAIL when the declared size is too big.
            return failure(Replies.messageTooBig(configuration.maximumMessageSize))
        }
        let transaction = MailTransaction(id: newQueueID(), reversePath: path, parameters: parameters)
        if configuration.checksSender {
            state = .checkingSender(transaction)
            return .checkSender(transaction)
        }
        state = .transaction(transaction)
        return .reply(Replies.ok("Sender \(path) OK"))
    }

    /// The driver's verdict on the sender asked about by `.checkSender`.
    public mutating func senderChecked(_ verdict: PolicyVerdict) -> SMTPSessionAction {
        guard case .checkingSender(let transaction) = state else {
            preconditionFailure("senderChecked without a pending MAIL")
        }
        switch verdict {
        case .accept:
            state = .transaction(transaction)
            return .reply(Replies.ok("Sender \(transaction.reversePath) OK"))
        case .reject(let reply):
            state = .idle
            return failure(reply)
        case .rejectAndClose(let reply):
            state = .closed
            return .replyAndClose(reply)
        }
    }

    // MARK: RCPT

    mutating func rcpt(_ path: EnvelopePath) -> SMTPSessionAction {
        guard case .transaction(let transaction) = state else {
            return failure(SMTPReply(503, .init(5, 5, 1), "Need MAIL before RCPT"))
        }
        if transaction.recipients.contains(where: { $0.path == path }) {
            // The same mailbox twice (To and Bcc, or a domain in other case:
            // domains compare case-insensitively, local parts exactly, RFC
            // 5321 § 2.4): one copy is enough, and a queue entry must never
            // hold a recipient twice.
            return .reply(Replies.ok("Recipient \(path) OK (duplicate, delivered once)"))
        }
        if transaction.recipients.count >= configuration.maximumRecipients {
            // RFC 5321 § 4.5.3.1.10: 452 for too many recipients; the client
            // sends the rest in another transaction. Not counted as an error.
            return .reply(SMTPReply(452, .init(4, 5, 3), "Too many recipients"))
        }
        state = .checkingRecipient(transaction, path)
        return .checkRecipient(path, transaction: transaction)
    }

    /// The driver's verdict on the recipient asked about by `.checkRecipient`.
    public mutating func recipientChecked(_ verdict: RecipientVerdict) -> SMTPSessionAction {
        guard case .checkingRecipient(var transaction, let path) = state else {
            preconditionFailure("recipientChecked without a pending recipient")
        }
        switch verdict {
        case .accept(let destination):
            transaction.recipients.append(AcceptedRecipient(path: path, destination: destination))
            state = .transaction(transaction)
            return .reply(Replies.ok("Recipient \(path) OK"))
        case .reject(let reply):
            transaction.refusedRecipients += 1
            state = .transaction(transaction)
            return failure(reply)
        case .rejectAndClose(let reply):
            state = .closed
            return .replyAndClose(reply)
        }
    }

    // MARK: DATA

    mutating func data() -> SMTPSessionAction {
        guard case .transaction(let transaction) = state else {
            return failure(SMTPReply(503, .init(5, 5, 1), "Need MAIL and RCPT before DATA"))
        }
        guard !transaction.recipients.isEmpty else {
            if transaction.refusedRecipients > 0 {
                return failure(SMTPReply(554, .init(5, 5, 1), "No valid recipients"))
            }
            return failure(SMTPReply(503, .init(5, 5, 1), "Need RCPT before DATA"))
        }
        let accumulator = MessageAccumulator(
            maximumSize: configuration.maximumMessageSize,
            maximumLineLength: configuration.textLineLimit,
            maximumHops: configuration.maximumHops,
            spillThreshold: configuration.spillThreshold
        )
        state = .data(transaction, accumulator)
        return .reply(SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>"))
    }

    mutating func finishData(_ transaction: inout MailTransaction, _ accumulator: MessageAccumulator) -> SMTPSessionAction {
        switch accumulator.problem {
        case .tooLarge:
            state = .idle
            return failure(Replies.messageTooBig(configuration.maximumMessageSize))
        case .badLineEnding:
            state = .idle
            return failure(Replies.bareLineEndingInMessage)
        case .tooManyHops:
            state = .idle
            return failure(
                SMTPReply(
                    554, .init(5, 4, 6), "Message refused: more than \(configuration.maximumHops) Received headers, mail loop?"))
        case .headerTooLarge:
            state = .idle
            return failure(
                SMTPReply(
                    552, .init(5, 3, 4),
                    "Message refused: header section larger than \(configuration.spillThreshold) octets"))
        case .lineTooLong:
            state = .idle
            return failure(
                SMTPReply(
                    554, .init(5, 6, 0),
                    "Message refused: a line is longer than \(configuration.textLineLimit) octets"))
        case nil:
            transaction.message = accumulator.message
            transaction.spilledBytes = accumulator.spilledBytes
            state = .delivering(transaction)
            return .deliver(transaction)
        }
    }

    /// The store's result for the message handed over by `.deliver`.
    public mutating func deliveryFinished(_ outcome: DeliveryOutcome) -> SMTPSessionAction {
        guard case .delivering(let transaction) = state else {
            preconditionFailure("deliveryFinished without a pending delivery")
        }
        state = .idle
        switch outcome {
        case .stored:
            return .reply(Replies.ok("Message accepted, queue id \(transaction.id)"))
        case .temporaryFailure(let reply):
            return .reply(reply)
        }
    }

    /// The transaction in progress, if any (for logs).
    public var currentTransaction: MailTransaction? {
        switch state {
        case .transaction(let transaction), .checkingSender(let transaction), .checkingRecipient(let transaction, _),
            .data(let transaction, _), .delivering(let transaction):
            return transaction
        default:
            return nil
        }
    }
}
