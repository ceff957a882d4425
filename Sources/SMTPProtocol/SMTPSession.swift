import MailCore
import NIOCore

/// The server side of one SMTP connection, as a value-type state machine.
///
/// Lines go in (`receive`), actions come out; it performs no I/O and reads no
/// clock, so every sequence of RFC 5321 can be tested with plain values. The
/// driver owns the socket, looks recipients up and stores messages, and reports
/// back through `recipientChecked`, `deliveryFinished` and `tlsEstablished`.
public struct SMTPSession: Sendable {
    enum State: Sendable {
        /// Connected, greeting not yet sent.
        case connected
        /// Greeting sent, no EHLO/HELO yet.
        case awaitingHello
        /// After EHLO/HELO, outside a transaction.
        case idle
        /// After MAIL (and zero or more RCPT).
        case transaction(MailTransaction)
        /// Waiting for the driver's verdict on a HELO/EHLO name.
        case checkingHello(String, extended: Bool)
        /// Waiting for the driver's verdict on MAIL FROM.
        case checkingSender(MailTransaction)
        /// Waiting for the driver's verdict on one RCPT.
        case checkingRecipient(MailTransaction, EnvelopePath)
        /// Reading message text.
        case data(MailTransaction, MessageAccumulator)
        /// Waiting for the store to make the message durable.
        case delivering(MailTransaction)
        /// STARTTLS answered; waiting for the handshake.
        case startingTLS
        /// In a SASL exchange: the next line is a response, not a command.
        case authenticating(SASLExchange)
        /// Waiting for the directory's verdict on credentials.
        case checkingCredentials
        case closed
    }

    public let configuration: SMTPSessionConfiguration
    /// The client's address as the socket reports it, for replies and Received.
    public let clientAddress: String
    var state: State = .connected
    public private(set) var helloName: String?
    public private(set) var usedEHLO = false
    public private(set) var tls: TLSInfo?
    /// The account the client authenticated as (RFC 4954), if any.
    public internal(set) var authenticatedUser: String?
    /// Envelope senders the authenticated user may use.
    var ownedAddresses = SenderOwnership()
    public private(set) var errorCount = 0
    public private(set) var commandCount = 0

    public init(configuration: SMTPSessionConfiguration, clientAddress: String) {
        self.configuration = configuration
        self.clientAddress = clientAddress
    }

    /// True while message text is being read (the driver then allows the
    /// longer data timeout and lets a shutdown wait for the final ".").
    public var isReadingData: Bool {
        switch state {
        case .data, .delivering: return true
        default: return false
        }
    }

    /// True while the next line is a SASL response (a secret), not a command.
    public var isInSASLExchange: Bool {
        if case .authenticating = state { return true }
        return false
    }

    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// The protocol name for Received (RFC 3848): SMTP, ESMTP or ESMTPS.
    public var receivedProtocol: String {
        guard usedEHLO else { return "SMTP" }
        // RFC 3848: ESMTPA / ESMTPSA when the client authenticated.
        return (tls == nil ? "ESMTP" : "ESMTPS") + (authenticatedUser == nil ? "" : "A")
    }

    /// RFC 5321 § 4.2, § 3.1: the 220 greeting.
    public mutating func greet() -> SMTPSessionAction {
        state = .awaitingHello
        return .reply(SMTPReply(220, nil, "\(configuration.hostname) ESMTP SIMS"))
    }

    /// Feeds one line from the client.
    /// - Parameter newQueueID: called once per accepted MAIL to name the transaction.
    public mutating func receive(_ line: InputLine, newQueueID: () -> QueueID) -> SMTPSessionAction {
        switch state {
        case .data(var transaction, var accumulator):
            // Take the accumulator out of `state` before changing it: while
            // the enum still held a reference, every appended line copied
            // the whole message (quadratic CPU in the message size).
            state = .closed
            switch accumulator.append(line) {
            case .more:
                state = .data(transaction, accumulator)
                return .none
            case .chunkReady:
                let chunk = accumulator.takeChunk()
                state = .data(transaction, accumulator)
                return .spill(chunk)
            case .end:
                return finishData(&transaction, accumulator)
            }
        case .authenticating(let exchange):
            return saslLine(line, exchange)
        case .connected, .checkingHello, .checkingSender, .checkingRecipient, .delivering, .startingTLS, .checkingCredentials, .closed:
            // The driver feeds no lines in these states; a line here means the
            // client ignored the protocol (or the driver has a bug): stop.
            state = .closed
            return .replyAndClose(Replies.protocolViolation)
        case .awaitingHello, .idle, .transaction:
            return receiveCommand(line, newQueueID: newQueueID)
        }
    }

    private mutating func receiveCommand(_ line: InputLine, newQueueID: () -> QueueID) -> SMTPSessionAction {
        commandCount += 1
        if commandCount > configuration.maximumCommands {
            state = .closed
            return .replyAndClose(Replies.tooManyCommands(configuration.hostname))
        }
        if line.overlong || line.wireLength > configuration.commandLineLimit {
            return failure(Replies.lineTooLong)
        }
        if !line.isClean {
            return failure(Replies.bareLineEnding)
        }
        guard let text = String(validating: line.bytes.readableBytesView, as: UTF8.self) else {
            return failure(Replies.invalidUTF8)
        }
        let utf8Recipients: Bool
        if case .transaction(let transaction) = state {
            utf8Recipients = transaction.parameters.smtpUTF8
        } else {
            utf8Recipients = false
        }
        switch SMTPCommandParser.parse(text, utf8Recipients: utf8Recipients) {
        case .failure(let error):
            return failure(error.reply)
        case .success(let command):
            return execute(command, newQueueID: newQueueID)
        }
    }

    private mutating func execute(_ command: SMTPCommand, newQueueID: () -> QueueID) -> SMTPSessionAction {
        switch command {
        case .ehlo(let name): return hello(name, extended: true)
        case .helo(let name): return hello(name, extended: false)
        case .mail(let path, let parameters): return mail(path, parameters, newQueueID: newQueueID)
        case .rcpt(let path): return rcpt(path)
        case .data: return data()
        case .rset:
            if case .awaitingHello = state {} else { state = .idle }
            return .reply(Replies.ok("Reset state"))
        case .noop:
            return .reply(Replies.ok("OK"))
        case .quit:
            state = .closed
            return .replyAndClose(SMTPReply(221, .init(2, 0, 0), "\(configuration.hostname) closing connection"))
        case .vrfy:
            // RFC 5321 § 3.5.3: 252 says "I will try" without revealing
            // whether the user exists, which is the point.
            return .reply(SMTPReply(252, .init(2, 5, 0), "Cannot VRFY user, but will accept message and attempt delivery"))
        case .expn:
            return failure(SMTPReply(502, .init(5, 5, 1), "EXPN not available"))
        case .help:
            return .reply(
                SMTPReply(
                    214, .init(2, 0, 0),
                    [
                        "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH",
                        "See RFC 5321",
                    ]))
        case .startTLS: return startTLS()
        case .auth(let mechanism, let initialResponse): return auth(mechanism: mechanism, initialResponse: initialResponse)
        }
    }

    // MARK: - Greeting and TLS

    private mutating func hello(_ name: String, extended: Bool) -> SMTPSessionAction {
        if configuration.checksHello {
            state = .checkingHello(name, extended: extended)
            return .checkHello(name)
        }
        return helloAccepted(name, extended: extended)
    }

    /// The driver's verdict on the name asked about by `.checkHello`. A
    /// refused name leaves the session waiting for a better HELO.
    public mutating func helloChecked(_ verdict: PolicyVerdict) -> SMTPSessionAction {
        guard case .checkingHello(let name, let extended) = state else {
            preconditionFailure("helloChecked without a pending HELO")
        }
        switch verdict {
        case .accept:
            return helloAccepted(name, extended: extended)
        case .reject(let reply):
            helloName = nil
            state = .awaitingHello
            return failure(reply)
        case .rejectAndClose(let reply):
            state = .closed
            return .replyAndClose(reply)
        }
    }

    private mutating func helloAccepted(_ name: String, extended: Bool) -> SMTPSessionAction {
        helloName = name
        usedEHLO = extended
        state = .idle  // RFC 5321 § 4.1.4: EHLO/HELO also resets any transaction
        let greeting = "\(configuration.hostname) Hello \(name) [\(clientAddress)]"
        guard extended else { return .reply(SMTPReply(250, nil, greeting)) }
        var lines = [greeting, "PIPELINING", "SIZE \(configuration.maximumMessageSize)", "8BITMIME", "SMTPUTF8"]
        if configuration.startTLSAvailable && tls == nil { lines.append("STARTTLS") }
        if offersAuthentication { lines.append("AUTH PLAIN LOGIN") }
        lines.append("ENHANCEDSTATUSCODES")
        return .reply(SMTPReply(250, nil, lines))
    }

    private mutating func startTLS() -> SMTPSessionAction {
        guard tls == nil else {
            return failure(SMTPReply(503, .init(5, 5, 1), "TLS already active"))
        }
        guard configuration.startTLSAvailable else {
            return failure(SMTPReply(502, .init(5, 5, 1), "STARTTLS not available: no certificate configured"))
        }
        if case .awaitingHello = state {
            return failure(Replies.helloFirst)
        }
        state = .startingTLS
        return .startTLS(SMTPReply(220, .init(2, 0, 0), "Ready to start TLS"))
    }

    /// RFC 3207 § 4.2: after the handshake the server MUST discard any
    /// knowledge obtained from the client, and the client sends EHLO again.
    public mutating func tlsEstablished(_ info: TLSInfo) {
        tls = info
        helloName = nil
        usedEHLO = false
        authenticatedUser = nil
        ownedAddresses = SenderOwnership()
        state = .awaitingHello
    }

    /// Implicit TLS (RFC 8314, port 465): the handshake came before the
    /// greeting, so there is nothing to forget.
    public mutating func implicitTLSEstablished(_ info: TLSInfo) {
        tls = info
    }

    // MARK: - Shared helpers

    /// Counts a failed command and closes the session when there are too many.
    mutating func failure(_ reply: SMTPReply) -> SMTPSessionAction {
        errorCount += 1
        if errorCount >= configuration.maximumErrors {
            state = .closed
            return .replyAndClose(Replies.tooManyErrors(configuration.hostname))
        }
        return .reply(reply)
    }
}
