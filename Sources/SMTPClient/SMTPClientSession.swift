import MailCore

/// The client side of one SMTP connection that delivers one message, as a
/// value-type state machine.
///
/// Replies go in (`receive`), actions come out; it performs no I/O and reads
/// no clock, so every sequence of RFC 5321 can be tested with plain values.
/// The driver owns the socket, the TLS handshake and the timers (`stage` says
/// which timeout applies), and reports back through `tlsEstablished`,
/// `tlsFailed`, `connectionClosed`, `timedOut` and `protocolError`.
public struct SMTPClientSession: Sendable {
    enum State: Sendable, Hashable {
        case awaitingGreeting
        /// On a reused connection: RSET sent, its 250 awaited before MAIL.
        case awaitingReset
        case awaitingEHLO
        case awaitingHELO
        case awaitingStartTLS
        /// "220" to STARTTLS received; the driver is doing the handshake.
        case handshaking
        case authenticating(AuthStep)
        /// MAIL, RCPT and DATA sent (all at once with PIPELINING), replies
        /// expected in `expected`.
        case transaction
        /// Writing the message text.
        case sendingMessage
        /// Message text sent; waiting for the reply to the final ".".
        case awaitingDataEnd
        /// "." sent after a 354 that had no recipient to go with it; its
        /// reply is read and ignored (RFC 2920 § 3.1).
        case discardingEmptyData(AttemptOutcome)
        /// QUIT sent; the outcome is settled and waits only for the 221.
        case quitting(AttemptOutcome)
        case closed(AttemptOutcome)
        /// The transaction is over and the connection stays open for the
        /// next one (`ClientAction.keepOpen`).
        case released(AttemptOutcome)
    }

    enum AuthStep: Sendable, Hashable {
        case plain
        case loginUsername
        case loginPassword
        case loginDone
    }

    /// One reply the session waits for inside the transaction, in the order
    /// the commands were sent (RFC 2920 § 3.1: replies come in order).
    enum Expected: Sendable, Hashable {
        case mail
        case rcpt(String)
        case data
    }

    public let configuration: SMTPClientConfiguration
    public let envelope: OutboundEnvelope
    public let message: OutboundMessage
    /// "host:port" and, once known, how the connection is protected; for logs
    /// and the outcome.
    public private(set) var remote: String
    /// What the server announced in its last EHLO reply; empty after HELO.
    public private(set) var capabilities = ServerCapabilities()
    public private(set) var usedEHLO = false
    public private(set) var tlsActive = false
    /// Whether the MAIL, RCPT and DATA commands went out in one write.
    public internal(set) var pipelined = false
    /// When true, a transaction that ends with a reply to the final "."
    /// (other than 421) ends in `ClientAction.keepOpen` instead of QUIT, so
    /// the driver can cache the connection for the next message.
    public var keepsConnectionOpen = false
    /// Whether this session runs on a connection that an earlier session
    /// left open (see `init(configuration:envelope:message:resuming:)`).
    public let isReused: Bool
    /// True when the session failed on a reused connection before any of the
    /// message could have been taken (the connection was dead: closed, 421,
    /// no reply, RSET refused). The driver retries on a fresh connection;
    /// this failure says nothing about the message.
    public private(set) var reusedConnectionFailed = false

    var state: State = .awaitingGreeting
    /// "host:port" without the TLS note.
    let baseRemote: String
    private var triedHELO = false
    var expected: [Expected] = []
    var mailRefusal: SMTPReply?
    /// Recipients still to be sent RCPT (without PIPELINING, one at a time).
    var pendingRecipients: [String] = []
    var accepted: [String] = []
    var recipientReplies: [String: SMTPReply] = [:]

    /// - Parameters:
    ///   - message: the message as CRLF lines, not dot-stuffed.
    ///   - remote: "host:port", for logs and the outcome.
    public init(configuration: SMTPClientConfiguration, envelope: OutboundEnvelope, message: [UInt8], remote: String) {
        self.init(configuration: configuration, envelope: envelope, message: message, remote: remote, isReused: false)
    }

    /// A session for the next transaction on a connection an earlier session
    /// left open: no greeting, EHLO, STARTTLS or AUTH; `resume()` starts it.
    public init(
        configuration: SMTPClientConfiguration, envelope: OutboundEnvelope, message: [UInt8],
        resuming connection: EstablishedConnection
    ) {
        self.init(
            configuration: configuration, envelope: envelope, message: message, remote: connection.baseRemote, isReused: true)
        remote = connection.remote
        capabilities = connection.capabilities
        usedEHLO = connection.usedEHLO
        tlsActive = connection.tlsActive
        state = .awaitingReset
    }

    private init(
        configuration: SMTPClientConfiguration, envelope: OutboundEnvelope, message: [UInt8], remote: String, isReused: Bool
    ) {
        self.configuration = configuration
        var seen = Set<String>()
        self.envelope = OutboundEnvelope(
            reversePath: envelope.reversePath, recipients: envelope.recipients.filter { seen.insert($0).inserted })
        self.message = OutboundMessage(message)
        baseRemote = remote
        self.remote = "\(remote) (no TLS)"
        self.isReused = isReused
    }

    /// What a later session on the same connection needs to know.
    public var established: EstablishedConnection {
        EstablishedConnection(
            baseRemote: baseRemote, remote: remote, capabilities: capabilities, usedEHLO: usedEHLO, tlsActive: tlsActive)
    }

    /// Starts a session made with `init(configuration:envelope:message:resuming:)`:
    /// RSET first. After a clean transaction the server is ready for MAIL
    /// (RFC 5321 § 4.1.4), but RSET costs one round trip and proves the
    /// connection still works before anything of the message is committed.
    public mutating func resume() -> ClientAction {
        guard case .awaitingReset = state else {
            return close(protocolFailure("resume() on a session that is not on a reused connection"))
        }
        return .send(Self.command("RSET"))
    }

    /// What the session waits for, which decides the timeout; nil once closed.
    public var stage: ClientStage? {
        switch state {
        case .awaitingGreeting: return .greeting
        case .awaitingReset, .awaitingEHLO, .awaitingHELO, .awaitingStartTLS, .authenticating: return .command
        case .handshaking: return .tlsHandshake
        case .transaction:
            switch expected.first {
            case .mail: return .mail
            case .rcpt: return .rcpt
            case .data, nil: return .dataInitiation
            }
        case .sendingMessage: return .dataBlock
        case .awaitingDataEnd, .discardingEmptyData: return .dataTermination
        case .quitting: return .quit
        case .closed, .released: return nil
        }
    }

    /// Whether an AUTH exchange is under way (its lines carry the password
    /// and must not be logged).
    public var isAuthenticating: Bool {
        if case .authenticating = state { return true }
        return false
    }

    /// The outcome once the session has closed.
    public var outcome: AttemptOutcome? {
        switch state {
        case .closed(let outcome), .released(let outcome): return outcome
        default: return nil
        }
    }

    // MARK: - Events

    /// Feeds one complete reply from the server.
    public mutating func receive(_ reply: SMTPReply) -> ClientAction {
        switch state {
        case .awaitingGreeting: return greeting(reply)
        case .awaitingReset: return resetReply(reply)
        case .awaitingEHLO: return ehloReply(reply)
        case .awaitingHELO: return heloReply(reply)
        case .awaitingStartTLS: return startTLSReply(reply)
        case .authenticating(let step): return authReply(reply, step: step)
        case .transaction: return transactionReply(reply)
        case .awaitingDataEnd, .sendingMessage:
            // A reply before the text is complete is the server giving up on
            // the message early (a size limit, say); it stands for the reply
            // to the final ".".
            return dataEndReply(reply)
        case .discardingEmptyData(let outcome): return quit(outcome, after: reply)
        case .quitting(let outcome):
            // Whatever the server says to QUIT, the attempt is decided.
            return close(outcome)
        case .handshaking:
            return close(protocolFailure("a reply arrived during the TLS handshake: \(reply)"))
        case .closed(let outcome):
            return .close(outcome)
        case .released(let outcome):
            // Anything the server says between transactions (such as a 421
            // before it closes an idle connection) ends the connection.
            return close(outcome)
        }
    }

    /// The TLS handshake finished. RFC 3207 § 4.2: the client MUST discard
    /// any knowledge obtained from the server (the EHLO reply, above all) and
    /// SHOULD send EHLO again as its first command.
    /// - Parameter description: e.g. "TLSv1.3, certificate verified", for logs.
    public mutating func tlsEstablished(_ description: String) -> ClientAction {
        guard case .handshaking = state else {
            return close(protocolFailure("TLS established while not expecting a handshake"))
        }
        tlsActive = true
        remote = "\(baseRemote) (\(description))"
        capabilities = ServerCapabilities()
        usedEHLO = false
        triedHELO = false
        return sendEHLO()
    }

    /// The handshake failed. The connection cannot be used any further:
    /// the server is no longer speaking plaintext SMTP on it.
    public mutating func tlsFailed(_ reason: String) -> ClientAction {
        close(.failed(reason: "TLS handshake with \(baseRemote) failed: \(reason)", reply: nil, isPermanent: false))
    }

    /// The message text has been written in full.
    public mutating func messageWritten() {
        if case .sendingMessage = state { state = .awaitingDataEnd }
    }

    /// The server closed the connection (or it broke).
    public mutating func connectionClosed() -> AttemptOutcome {
        markStaleIfUncommitted()
        switch state {
        case .quitting(let outcome), .discardingEmptyData(let outcome), .closed(let outcome), .released(let outcome):
            state = .closed(outcome)
            return outcome
        case .sendingMessage:
            return finalize(failure("connection to \(baseRemote) lost while sending the message"))
        case .awaitingDataEnd:
            // RFC 5321 § 6.1: the message may or may not have been taken;
            // delivering it again risks a duplicate, not delivering it a loss.
            return finalize(failure("connection to \(baseRemote) lost while waiting for the reply to the final \".\""))
        default:
            return finalize(failure("connection closed by \(baseRemote) while waiting for the \(stageName) reply"))
        }
    }

    /// The timeout for `stage` expired. RFC 5321 § 4.5.3.2: the client
    /// gives up on the connection.
    /// - Parameter limit: the timeout in words, for the reason text.
    public mutating func timedOut(after limit: String) -> AttemptOutcome {
        markStaleIfUncommitted()
        switch state {
        case .quitting(let outcome), .discardingEmptyData(let outcome), .closed(let outcome), .released(let outcome):
            state = .closed(outcome)
            return outcome
        case .sendingMessage:
            return finalize(failure("timeout: a block of message text could not be written to \(baseRemote) within \(limit)"))
        default:
            return finalize(failure("timeout: no \(stageName) reply from \(baseRemote) within \(limit)"))
        }
    }

    /// The server sent bytes that are not a reply.
    public mutating func protocolError(_ error: ReplyDecodingError) -> AttemptOutcome {
        markStaleIfUncommitted()
        switch state {
        case .quitting(let outcome), .discardingEmptyData(let outcome), .closed(let outcome), .released(let outcome):
            state = .closed(outcome)
            return outcome
        default:
            return finalize(protocolFailure(error.description))
        }
    }

    // MARK: - Reuse

    /// RFC 5321 § 4.1.1.5: RSET is answered 250. Anything else (421 above
    /// all: the server timed the idle connection out) makes the connection
    /// unusable; the driver falls back to a fresh one.
    private mutating func resetReply(_ reply: SMTPReply) -> ClientAction {
        guard reply.code == 250 else {
            reusedConnectionFailed = true
            return fail("RSET on the reused connection to \(baseRemote) refused", reply)
        }
        return beginTransaction()
    }

    /// On a reused connection, losing it before the message text went out
    /// means it was dead: nothing was committed and a fresh connection can
    /// take the message.
    mutating func markStaleIfUncommitted() {
        guard isReused else { return }
        switch state {
        case .awaitingReset, .transaction: reusedConnectionFailed = true
        default: break
        }
    }

    // MARK: - Greeting, EHLO, STARTTLS

    /// RFC 5321 § 4.3.2: the greeting is 220, or 554 (refusal); § 3.8: 421
    /// when the server is not available.
    private mutating func greeting(_ reply: SMTPReply) -> ClientAction {
        guard reply.code == 220 else {
            return fail("greeting from \(baseRemote) refused the session", reply)
        }
        return sendEHLO()
    }

    private mutating func sendEHLO() -> ClientAction {
        state = .awaitingEHLO
        return .send(Self.command("EHLO \(configuration.heloName)"))
    }

    /// RFC 5321 § 3.2: a server that does not support EHLO answers with an
    /// error (500, 502, 504, 550); the client then falls back to HELO.
    private mutating func ehloReply(_ reply: SMTPReply) -> ClientAction {
        if reply.code == 250 {
            usedEHLO = true
            capabilities = ServerCapabilities(ehloReply: reply)
            return afterHello()
        }
        if reply.isPermanentFailure && !triedHELO {
            triedHELO = true
            state = .awaitingHELO
            return .send(Self.command("HELO \(configuration.heloName)"))
        }
        return fail("EHLO refused", reply)
    }

    private mutating func heloReply(_ reply: SMTPReply) -> ClientAction {
        guard reply.code == 250 else { return fail("HELO refused", reply) }
        // No service extensions without EHLO (RFC 5321 § 2.2.1).
        usedEHLO = false
        capabilities = ServerCapabilities()
        return afterHello()
    }

    private mutating func afterHello() -> ClientAction {
        if !tlsActive {
            switch configuration.tls {
            case .disabled:
                break
            case .opportunistic, .required:
                if capabilities.startTLS {
                    state = .awaitingStartTLS
                    return .send(Self.command("STARTTLS"))
                }
                if case .required = configuration.tls {
                    return fail("TLS is required but \(baseRemote) does not offer STARTTLS", nil, permanent: false)
                }
            }
        }
        return authenticate()
    }

    /// RFC 3207 § 4: 220 means "go ahead with the handshake"; 454 (TLS not
    /// available) or 501 leave the session in plaintext.
    private mutating func startTLSReply(_ reply: SMTPReply) -> ClientAction {
        if reply.code == 220 {
            state = .handshaking
            return .startTLS
        }
        if case .required = configuration.tls {
            return fail("TLS is required but STARTTLS was refused", reply, permanent: false)
        }
        if reply.code == 421 { return fail("STARTTLS refused", reply) }
        return authenticate()
    }

    // MARK: - AUTH (RFC 4954)

    private mutating func authenticate() -> ClientAction {
        guard let credentials = configuration.credentials else { return beginTransaction() }
        guard tlsActive || configuration.allowPlaintextAuth else {
            return fail(
                "credentials are configured but the connection to \(baseRemote) is not encrypted; the password is not sent in plaintext",
                nil, permanent: false)
        }
        guard let mechanism = SASLMechanism.choose(from: capabilities.authMechanisms) else {
            let offered = capabilities.authMechanisms.sorted().joined(separator: " ")
            return fail(
                "credentials are configured but \(baseRemote) offers neither AUTH PLAIN nor LOGIN (offered: \(offered.isEmpty ? "none" : offered))",
                nil, permanent: false)
        }
        switch mechanism {
        case .plain:
            state = .authenticating(.plain)
            return .send(Self.command("AUTH PLAIN \(SASLMechanism.plainResponse(credentials))"))
        case .login:
            state = .authenticating(.loginUsername)
            return .send(Self.command("AUTH LOGIN"))
        }
    }

    /// RFC 4954 § 4: 334 asks for the next response, 235 is success. A
    /// refusal is not permanent even as 535: a wrong password is a local
    /// configuration error, and bouncing every queued message over it would
    /// do more harm than keeping them until it is fixed.
    private mutating func authReply(_ reply: SMTPReply, step: AuthStep) -> ClientAction {
        guard let credentials = configuration.credentials else { return beginTransaction() }
        switch (step, reply.code) {
        case (.plain, 235), (.loginDone, 235):
            return beginTransaction()
        case (.loginUsername, 334):
            state = .authenticating(.loginPassword)
            return .send(Self.command(SASLMechanism.base64(credentials.username)))
        case (.loginPassword, 334):
            state = .authenticating(.loginDone)
            return .send(Self.command(SASLMechanism.base64(credentials.password)))
        default:
            return fail("authentication as \(credentials.username) failed", reply, permanent: false)
        }
    }

    // MARK: - Endings

    /// Ends the attempt with a failure: QUIT first (RFC 5321 § 3.1, § 4.1.1.10),
    /// unless the reply was 421, after which the server closes on its own (§ 3.8).
    /// - Parameter permanent: nil means "as the reply says" (5xx).
    mutating func fail(_ reason: String, _ reply: SMTPReply?, permanent: Bool? = nil) -> ClientAction {
        let text = reply.map { "\(reason): \($0)" } ?? reason
        let outcome = AttemptOutcome.failed(
            reason: text, reply: reply, isPermanent: permanent ?? (reply?.isPermanentFailure ?? false))
        return quit(outcome, after: reply)
    }

    /// Settles the outcome and says goodbye.
    mutating func quit(_ outcome: AttemptOutcome, after reply: SMTPReply?) -> ClientAction {
        if reply?.code == 421 { return close(outcome) }
        state = .quitting(outcome)
        return .send(Self.command("QUIT"))
    }

    mutating func close(_ outcome: AttemptOutcome) -> ClientAction {
        .close(finalize(outcome))
    }

    private mutating func finalize(_ outcome: AttemptOutcome) -> AttemptOutcome {
        state = .closed(outcome)
        return outcome
    }

    private func failure(_ reason: String) -> AttemptOutcome {
        .failed(reason: reason, reply: nil, isPermanent: false)
    }

    private func protocolFailure(_ detail: String) -> AttemptOutcome {
        .failed(reason: "protocol error from \(baseRemote): \(detail)", reply: nil, isPermanent: false)
    }

    private var stageName: String {
        switch state {
        case .awaitingGreeting: return "220 greeting"
        case .awaitingReset: return "RSET"
        case .awaitingEHLO: return "EHLO"
        case .awaitingHELO: return "HELO"
        case .awaitingStartTLS: return "STARTTLS"
        case .handshaking: return "TLS handshake"
        case .authenticating: return "AUTH"
        case .transaction:
            switch expected.first {
            case .mail: return "MAIL"
            case .rcpt: return "RCPT"
            case .data, nil: return "DATA"
            }
        case .sendingMessage: return "data block write"
        case .awaitingDataEnd, .discardingEmptyData: return "end of data"
        case .quitting: return "QUIT"
        case .closed, .released: return "(closed)"
        }
    }

    /// One command line, CRLF-terminated.
    static func command(_ text: String) -> [UInt8] {
        Array(text.utf8) + [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
    }
}
