import AntiSpam
import Foundation
import Logging
import MailCore
import MailStore
import NIOCore
import NIOSSL
import Policy
import Queue
import SMTPProtocol
import ServiceLifecycle

/// Drives one SMTP session: feeds lines to the `SMTPSession` state machine and
/// carries out its actions (replies, recipient lookups, deliveries, TLS).
struct SMTPConnection {
    let services: SMTPServices
    let channel: NIOAsyncChannel<ConnectionInbound, ByteBuffer>
    let frame: NIOLoopBound<LineFrameHandler>
    let timeouts: SessionTimeouts
    let clientAddress: String
    let submission: Bool
    let implicitTLS: Bool
    var logger: Logger
    /// What the anti-spam checks found on this connection.
    let policyState = PolicyState()
    /// The message being received: its spill file once it is large.
    let incoming = IncomingMessage()

    func run() async {
        let control = ConnectionControl(channel: channel.channel, hostname: services.hostname)
        do {
            try await withGracefulShutdownHandler {
                try await channel.executeThenClose { inbound, _ in
                    try await converse(inbound, control: control)
                }
            } onGracefulShutdown: {
                control.requestShutdown()
            }
        } catch is CancellationError {
            logger.info("session cancelled at shutdown")
        } catch let error as ChannelError where error == .ioOnClosedChannel || error == .alreadyClosed {
            logger.info("client disconnected")
        } catch {
            logger.warning("session ended by error: \(error)")
        }
        await incoming.discard(using: services.delivery)
        logger.info("disconnected")
    }

    private func converse(_ inbound: NIOAsyncChannelInboundStream<ConnectionInbound>, control: ConnectionControl) async throws {
        if services.timeouts.greetingDelay > .zero {
            try await Task.sleep(for: services.timeouts.greetingDelay)
        }
        if let refusal = await services.policy.checkConnect(
            policyState, client: clientAddress, submission: submission, logger: logger)
        {
            // Refused before the greeting (RFC 5321 § 3.1 allows a 554 greeting): a blocklisted client or a rate limit.
            try await channel.channel.writeAndFlush(ByteBuffer(string: refusal.wireText))
            return
        }
        var session = SMTPSession(
            configuration: services.sessionConfiguration(submission: submission), clientAddress: clientAddress)
        guard case .reply(let greeting) = session.greet() else { return }
        // One event-loop turn decides about early talk and sends the greeting,
        // so no client byte can slip in between the check and the 220.
        let frame = self.frame
        let channel = self.channel.channel
        let greetingText = greeting.wireText
        let earlyTalkerText = Replies.earlyTalker.wireText
        let clean = try await channel.eventLoop.submit {
            let clean = frame.value.markGreeted()
            let text = clean ? greetingText : earlyTalkerText
            var buffer = channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            channel.writeAndFlush(buffer, promise: nil)
            return clean
        }.get()
        if !clean {
            logger.notice("refused: client talked before the greeting (early talker)")
            return
        }
        var output = ByteBuffer()
        var awaitingTLS = false

        for try await element in inbound {
            switch element {
            case .tlsEstablished(let info):
                if implicitTLS, !awaitingTLS, session.tls == nil {
                    session.implicitTLSEstablished(info)
                    logger.info("TLS established: \(info)")
                    continue
                }
                guard awaitingTLS else { continue }
                awaitingTLS = false
                session.tlsEstablished(info)
                logger.info("TLS established: \(info)")
            case .bytes, .mailboxChanged:
                continue  // IMAP only
            case .lines(let lines):
                // Plaintext that arrived between STARTTLS and the handshake
                // is never executed (RFC 3207 § 4.2; CVE-2011-0411 class).
                if awaitingTLS { continue }
                for line in lines {
                    // Fed synchronously; only an action that needs waiting
                    // (a lookup, storage, TLS) costs an async call. Each async
                    // call hops executors, which cost more than a line of
                    // message text (20 µs per line, a million lines) or a
                    // short command.
                    let outcome: LineOutcome
                    switch feed(line, session: &session, output: &output) {
                    case .done(let done): outcome = done
                    case .pending(let action, let context):
                        outcome = try await carryOut(action, context, session: &session, output: &output)
                    }
                    if incoming.isInUse && !session.isReadingData {
                        // Delivered or refused: the spilled text is no longer needed.
                        await incoming.discard(using: services.delivery)
                    }
                    if outcome == .close {
                        try await flush(&output)
                        return
                    }
                    if outcome == .startTLS {
                        awaitingTLS = true
                        break  // the rest of this read was sent in plaintext: dropped
                    }
                }
                // Marked busy before the 354 leaves: a shutdown that comes
                // right after the client sees it must wait for the message.
                let shutdownWaiting = control.setBusyWithMessage(session.isReadingData)
                if !flushNow(&output) { try await drain() }
                if session.isReadingData != timeouts.isReadingData {
                    timeouts.isReadingData = session.isReadingData
                    let frame = self.frame
                    channel.eventLoop.execute { frame.value.readingDataChanged() }
                }
                if shutdownWaiting {
                    logger.info("closing for shutdown")
                    control.sayGoodbyeAndClose()
                    return
                }
            }
        }
    }

    private enum LineOutcome { case proceed, close, startTLS }

    /// What the session said about a line: settled at once, or an action to carry out.
    private enum Step {
        case done(LineOutcome)
        case pending(SMTPSessionAction, LineContext)
    }

    /// The line an action answers, for the log.
    private struct LineContext {
        var line: InputLine
        var wasReadingData: Bool
        /// Passwords never reach the log, at any level (SASL responses and
        /// AUTH initial responses are base64 of the password).
        var wasInSASLExchange: Bool

        /// Made only when logged: message text is never logged, and building
        /// it for each of a million DATA lines cost more than the session.
        var forLog: String {
            wasInSASLExchange ? "<SASL response hidden>" : SMTPConnection.masked(SMTPConnection.printable(line))
        }
    }

    /// Feeds one line; settles what needs no waiting (a reply, message text).
    private func feed(_ line: InputLine, session: inout SMTPSession, output: inout ByteBuffer) -> Step {
        let wasReadingData = session.isReadingData
        let wasInSASLExchange = session.isInSASLExchange
        let action = session.receive(line, newQueueID: { services.queueIDs.next() })
        // Message text: nothing to log or answer for all lines but the last.
        if wasReadingData, case .none = action { return .done(.proceed) }
        let context = LineContext(line: line, wasReadingData: wasReadingData, wasInSASLExchange: wasInSASLExchange)
        if !wasReadingData { logger.debug("< \(context.forLog)") }
        switch action {
        case .none:
            return .done(.proceed)
        case .reply(let reply):
            record(reply, &output, line: context.forLog, wasData: context.wasReadingData)
            return .done(.proceed)
        case .replyAndClose(let reply):
            record(reply, &output, line: context.forLog, wasData: context.wasReadingData)
            return .done(.close)
        default:
            return .pending(action, context)
        }
    }

    /// Carries out the session's action for a line, and the actions that follow from it.
    private func carryOut(
        _ first: SMTPSessionAction, _ context: LineContext, session: inout SMTPSession, output: inout ByteBuffer
    ) async throws -> LineOutcome {
        let wasReadingData = context.wasReadingData
        func lineForLog() -> String { context.forLog }
        var action = first
        while true {
            switch action {
            case .none:
                return .proceed
            case .reply(let reply):
                record(reply, &output, line: lineForLog(), wasData: wasReadingData)
                return .proceed
            case .replyAndClose(let reply):
                record(reply, &output, line: lineForLog(), wasData: wasReadingData)
                return .close
            case .startTLS(let reply):
                try await flush(&output)
                try await startTLS(reply)
                return .startTLS
            case .checkRecipient(let path, let transaction):
                let (verdict, pause) = await checkRecipient(path, transaction: transaction, session: session)
                if pause > .zero {
                    // The tarpit: flush what is pending, then make the prober wait.
                    try await flush(&output)
                    try await Task.sleep(for: pause)
                }
                action = session.recipientChecked(verdict)
            case .spill(let chunk):
                await spill(chunk, transaction: session.currentTransaction)
                return .proceed
            case .deliver(let transaction):
                action = session.deliveryFinished(await deliver(transaction, session: session))
            case .authenticate(let username, let password):
                action = session.authenticationFinished(await authenticate(username, password))
            case .checkHello(let name):
                action = session.helloChecked(
                    await services.policy.checkHello(name, state: policyState, client: clientAddress, logger: logger))
            case .checkSender(let transaction):
                var logger = self.logger
                logger[metadataKey: "qid"] = "\(transaction.id)"
                let verdict = await services.policy.checkSender(
                    transaction, helloName: session.helloName, user: session.authenticatedUser, state: policyState,
                    client: clientAddress, logger: logger)
                action = session.senderChecked(verdict)
            }
        }
    }

    private func checkRecipient(
        _ path: EnvelopePath, transaction: MailTransaction, session: SMTPSession
    ) async -> (RecipientVerdict, Duration) {
        var logger = self.logger
        logger[metadataKey: "qid"] = "\(transaction.id)"
        let resolution: LocalResolution
        do {
            let directory = services.directory
            if let known = directory.resolveFromMemory(path) {
                resolution = known
            } else {
                resolution = try await services.delivery.run { try directory.resolve(path) }
            }
        } catch {
            logger.error("\(RecipientFate.refused.line(path, "directory lookup failed, client told to try again later: \(error)"))")
            return (.reject(Replies.directoryUnavailable), .zero)
        }
        if case .accounts(let accounts) = resolution, let full = await accountOverQuota(accounts, logger: logger) {
            logger.notice("\(RecipientFate.refused.line(path, "mailbox of \(LogField.word(full)) is over its quota"))")
            return (.reject(SMTPReply(452, .init(4, 2, 2), "Mailbox full, try again later")), .zero)
        }
        // Decided per recipient, not per connection: the POP-before-SMTP
        // window is measured at the moment the relay is decided.
        let relay = RelayDecision.permission(
            authenticatedUser: session.authenticatedUser, clientAddress: clientAddress,
            clientNetworks: services.clientNetworks.current, gateways: services.gateways.current,
            popBeforeSMTP: resolution == .notLocal ? services.popBeforeSMTP?.permission(for: clientAddress) : nil)
        let decision = RecipientPolicy.decide(
            path, resolution: resolution, clientAddress: clientAddress, permission: relay.permission, refusal: relay.refusal)
        if case .reject = decision.verdict {
            logger.notice("\(LogField.path(path)) \(decision.logText) (from \(LogField.path(transaction.reversePath)))")
        } else {
            logger.debug("\(LogField.path(path)) \(decision.logText)")
        }
        return services.policy.checkRecipient(
            decision.verdict, resolution: resolution, path: path, transaction: transaction, user: session.authenticatedUser,
            state: policyState, client: clientAddress, logger: logger)
    }

    /// The first of `accounts` whose mailbox is at or over `storage.quota`.
    private func accountOverQuota(_ accounts: [String], logger: Logger) async -> String? {
        let quota = services.delivery.quota
        guard quota.limit != nil else { return nil }
        for account in accounts {
            let maildir = services.delivery.writer.maildirPath(for: account)
            do {
                if try await !quota.allows(1, to: account, maildir: maildir, storage: services.delivery) { return account }
            } catch {
                // Cannot measure (no Maildir yet, I/O trouble): the quota must not refuse mail.
                logger.debug("quota of \(LogField.word(account)) not measured: \(error)")
            }
        }
        return nil
    }

    /// Writes a chunk of a large message to its spill file. The first chunk
    /// holds the whole header section (the session refuses larger ones), so
    /// the header is read and cleaned here, once.
    private func spill(_ chunk: ByteBuffer, transaction: MailTransaction?) async {
        var chunk = chunk
        if !incoming.isInUse {
            let id = transaction?.id.rawValue ?? services.queueIDs.next().rawValue
            let header = examine(chunk)
            incoming.messageID = header.messageID
            if let cleaned = header.cleaned { chunk = ByteBuffer(bytes: cleaned) }
            await incoming.start(in: services.spillDirectory, id: id, using: services.delivery)
        }
        await incoming.append(chunk, using: services.delivery)
    }

    /// Reads the header section; logs when forged Authentication-Results go.
    private func examine(_ text: ByteBuffer) -> HeaderSection {
        let header = HeaderSection(of: text, authservID: services.hostname)
        if header.cleaned != nil {
            logger.notice("removed Authentication-Results claiming to be ours (\(services.hostname)) from the message")
        }
        return header
    }

    private func deliver(_ transaction: MailTransaction, session: SMTPSession) async -> DeliveryOutcome {
        var logger = self.logger
        logger[metadataKey: "qid"] = "\(transaction.id)"
        let checks = services.policy.headers(
            state: policyState, user: session.authenticatedUser, client: clientAddress, helloName: session.helloName,
            reversePath: transaction.reversePath)
        let received = ReceivedHeader.make(
            helloName: session.helloName, verifiedName: policyState.helo?.verifiedName, clientAddress: clientAddress,
            hostname: services.hostname,
            protocolName: session.receivedProtocol, id: transaction.id, tls: session.tls,
            recipients: transaction.recipients.map(\.path), date: Date(),
            hideClientAddress: services.hideSubmitterAddress && session.authenticatedUser != nil)
        let head = Array((received + checks).utf8)
        var content: MessageContent
        let messageID: String?
        if incoming.isInUse {
            if let failure = incoming.failure {
                return refuseStorage(failure, logger: logger)
            }
            content = MessageContent(
                head: head, spillFile: incoming.path, spillSize: incoming.size, tail: Array(transaction.message.readableBytesView))
            messageID = incoming.messageID
        } else {
            let header = examine(transaction.message)
            content = MessageContent(head: head, tail: header.cleaned ?? Array(transaction.message.readableBytesView))
            messageID = header.messageID
        }
        let summary = policyState.summary
        let checksText = summary.isEmpty ? "" : " (checks: \(summary))"
        let count = transaction.recipients.count
        logger.info(
            "received \(transaction.messageSize) bytes from \(LogField.path(transaction.reversePath)) for \(count) recipient\(count == 1 ? "" : "s")\(checksText)"
        )
        if let messageID {
            logger.info("message-id \(LogField.text(messageID))")
        }
        do {
            content = try await dkimSigned(content, transaction, logger: logger)
        } catch {
            return refuseStorage(error, logger: logger)
        }
        let junk = services.policy.junkScore(state: policyState, user: session.authenticatedUser)
        let queued: QueuedMessage?
        do {
            queued = try await store(content, transaction, junk: junk != nil)
        } catch let error as DeliveryError {
            return refuseStorage(error, logger: logger)
        } catch {
            return refuseStorage(.ioError("\(error)"), logger: logger)
        }
        for recipient in transaction.recipients {
            switch recipient.destination {
            case .local(let targets):
                let folder = junk.map { " folder Junk (spam score \($0))" } ?? ""
                logger.info(
                    "\(RecipientFate.delivered.line(recipient.path, "local mailbox \(targets.joined(separator: ", "))\(folder)"))")
            case .relay(let domain, let permission):
                logger.info("\(RecipientFate.relayed.line(recipient.path, "\(permission), queued for \(domain)"))")
            }
        }
        // Only now, so that the log tells the story in order: relayed, then sent.
        if let queued { services.outbound?.runner.submit(queued) }
        return .stored
    }

    /// Nothing was stored: the client is told to try again later.
    private func refuseStorage(_ error: DeliveryError, logger: Logger) -> DeliveryOutcome {
        logger.error("not stored, client told to retry: \(error)")
        if case .insufficientStorage = error {
            return .temporaryFailure(SMTPReply(452, .init(4, 3, 1), "Insufficient system storage, try again later"))
        }
        return .temporaryFailure(SMTPReply(451, .init(4, 3, 0), "Local error in processing, try again later"))
    }

    /// Stores the message for every recipient: remote ones into the queue,
    /// then local ones into their Maildirs. Returns when all of it is
    /// durable; on failure nothing is kept, because the client will send
    /// the whole message again (a queued copy left behind would reach its
    /// remote recipients twice).
    private func store(_ content: MessageContent, _ transaction: MailTransaction, junk: Bool) async throws -> QueuedMessage? {
        let route = StorageRoute(transaction, clientAddress: clientAddress, now: Date())
        if let entry = route.queueEntry {
            guard let outbound = services.outbound else { throw DeliveryError.ioError("the outbound queue is not running") }
            try await services.delivery.run { try outbound.spool.enqueue(content, envelope: entry) }
        }
        guard !route.localAccounts.isEmpty else { return route.queueEntry }
        do {
            _ = try await services.delivery.deliver(
                content, to: route.localAccounts, id: transaction.id, folder: junk ? "Junk" : nil)
        } catch {
            if let entry = route.queueEntry, let spool = services.outbound?.spool {
                // Not yet handed to the runner, so no attempt can be under way.
                _ = try? await services.delivery.run { spool.remove(entry.id) }
            }
            throw error
        }
        return route.queueEntry
    }

    // MARK: - Output

    /// `line` is made only for a refusal's log line, not for every reply.
    private func record(_ reply: SMTPReply, _ output: inout ByteBuffer, line: @autoclosure () -> String, wasData: Bool) {
        output.writeString(reply.wireText)
        if reply.code >= 400 {
            let what = wasData ? "end of data" : "\"\(line())\""
            logger.warning("\(what) answered \(LogField.text(reply.description))")
        } else {
            logger.debug("> \(LogField.text(reply.description))")
        }
    }

    /// `AUTH PLAIN dGVzdAB0ZXN0AHNlY3JldA==` → `AUTH PLAIN <hidden>`.
    static func masked(_ text: String) -> String {
        let words = text.split(separator: " ", maxSplits: 2)
        guard words.count == 3, words[0].uppercased() == "AUTH" else { return text }
        return "\(words[0]) \(words[1]) <hidden>"
    }

    /// The line as text for the log, escaped as every client value is (`LogField`).
    static func printable(_ line: InputLine) -> String {
        if line.overlong { return "<line longer than the limit, \(line.wireLength)+ octets>" }
        var text = LogField.text(bytes: line.bytes.readableBytesView.prefix(200))
        if line.bytes.readableBytes > 200 { text += "…" }
        if line.ending == .bareLF { text += "\\n(bare LF)" }
        return text
    }

    /// Sends the replies gathered so far. While the client reads its
    /// replies it does not wait for the write to complete (a suspension per
    /// reply, measured in bench/). Once unread replies pile up past the
    /// channel's high-water mark, it waits until they are written: a client
    /// that pipelines commands and never reads then stalls its own session
    /// (its commands back up in its socket), never the server's memory.
    private func flush(_ output: inout ByteBuffer) async throws {
        if !flushNow(&output) { try await drain() }
    }

    /// Sends the replies gathered so far; false when the client's output is
    /// backed up past the high-water mark (then `drain`).
    private func flushNow(_ output: inout ByteBuffer) -> Bool {
        guard output.readableBytes > 0 else { return true }
        let buffer = output
        output.clear()
        let channel = self.channel.channel
        channel.writeAndFlush(buffer, promise: nil)
        return channel.isWritable
    }

    /// Returns once everything written so far has left (an empty write
    /// completes after every write before it).
    private func drain() async throws {
        try await channel.channel.writeAndFlush(ByteBuffer()).get()
    }

    /// Writes the 220, inserts TLS in front of everything and drops buffered
    /// plaintext, all in one event-loop turn so that no byte slips between.
    private func startTLS(_ reply: SMTPReply) async throws {
        guard let context = services.tls.current else { return }
        logger.debug("> \(reply)")
        try await frame.startTLS(on: channel.channel, context: context, reply: reply.wireText)
    }
}
