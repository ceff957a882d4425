import MailCore

/// The life of one outbound connection, as a value-type state machine: which
/// `SMTPClientSession` runs on it, when that session's attempt is complete
/// and with what result, the reply timer of each stage, and, with reuse, the
/// time between transactions in the cache.
///
/// Events go in (what the channel and its timers report), actions come out
/// (`ClientConnectionAction`); it performs no I/O and reads no clock.
/// `SMTPClientHandler` is its driver. Everything a transaction needs lives in
/// the state's payload, so nothing of an earlier session can leak into the
/// next one, and a completed attempt cannot be completed again: every path
/// that emits `completeAttempt` leaves `.active`.
struct ClientConnectionLifecycle: Sendable {
    enum State: Sendable {
        /// A session runs; its attempt waits for a result.
        case active(Attempt)
        /// The session ended its transaction wanting the connection kept;
        /// the cache's answer to `offerToCache` is awaited.
        case offering(Offer)
        /// Between transactions, in the cache.
        case idle(generation: Int, established: EstablishedConnection)
        /// QUIT sent on a connection no session uses; any reply, or the short
        /// wait running out, closes it.
        case quitting(generation: Int)
        /// The attempt is settled and the channel closed or closing:
        /// nothing more happens.
        case closed
        /// Only while a method rewrites the state, so that the payload taken
        /// out is not copied on its first mutation.
        case modifying
    }

    /// One session on this connection, and what its driver must track for it.
    struct Attempt: Sendable {
        var session: SMTPClientSession
        /// Bumped for each session, so that a late timer or write completion
        /// of an earlier one does nothing.
        let generation: Int
        /// Whether the STARTTLS handshake failed (the outcome says so too,
        /// in words; `SMTPClient` needs it as a fact).
        var tlsHandshakeFailed = false
        /// The message text not yet written, while it is being written.
        var unwrittenText: ArraySlice<UInt8> = []
        /// The limit of the reply timer armed last, for the timeout's reason.
        var timerLimit: Duration = .zero
    }

    /// A finished transaction whose connection is offered to the cache.
    struct Offer: Sendable {
        let result: AttemptResult
        let generation: Int
        let established: EstablishedConnection
    }

    /// Message text is written in blocks of this size, each under the
    /// data-block timeout (RFC 5321 § 4.5.3.2.5 times each block rather than
    /// the whole message, so a slow link with a large message is not cut off
    /// while it is still moving).
    static let blockSize = 64 * 1024

    /// Set only by the lifecycle itself (here and in its extensions).
    var state: State
    /// At most this many transactions on the connection; below 2 it is never
    /// offered to the cache.
    let maximumReuse: Int
    /// How long the connection may sit in the cache unused.
    let idleTimeout: Duration
    /// How long to wait for the reply to a QUIT on a connection no session
    /// uses (RFC 5321 § 4.1.1.10: the server closes after its 221).
    let quitWait: Duration
    /// Transactions completed on this connection.
    var transactions = 0

    /// - Parameters:
    ///   - maximumReuse: `SMTPClientConfiguration.maximumReuse`, or 0 when
    ///     the connection is not to be cached.
    init(session: SMTPClientSession, maximumReuse: Int, idleTimeout: Duration) {
        var session = session
        session.keepsConnectionOpen = maximumReuse > 1
        state = .active(Attempt(session: session, generation: 0))
        self.maximumReuse = maximumReuse
        self.idleTimeout = idleTimeout
        quitWait = min(session.configuration.timeouts.command, .seconds(5))
    }

    /// Whether a TLS handshake-completed event is awaited; the driver
    /// inspects the certificate only then.
    var awaitsTLSHandshake: Bool {
        if case .active(let attempt) = state { return attempt.session.stage == .tlsHandshake }
        return false
    }

    /// The generation of the session that runs, if one does.
    var activeGeneration: Int? {
        if case .active(let attempt) = state { return attempt.generation }
        return nil
    }

    // MARK: - Events of the running session

    /// The TCP connection is up: the greeting's timer starts.
    mutating func connected() -> [ClientConnectionAction] {
        guard var attempt = takeAttempt() else { return [] }
        defer { restore(attempt) }
        return [Self.armTimer(&attempt)]
    }

    /// One complete reply from the server.
    mutating func replyReceived(_ reply: SMTPReply) -> [ClientConnectionAction] {
        switch state {
        case .active:
            guard var attempt = takeAttempt() else { return [] }
            defer { restore(attempt) }
            return perform(attempt.session.receive(reply), on: &attempt)
        case .idle, .quitting:
            return serverSpokeWithoutSession()
        case .offering, .closed, .modifying:
            return []
        }
    }

    /// The server sent bytes that are not a reply.
    mutating func protocolError(_ error: ReplyDecodingError) -> [ClientConnectionAction] {
        switch state {
        case .active:
            guard var attempt = takeAttempt() else { return [] }
            let outcome = attempt.session.protocolError(error)
            return finish(outcome, attempt, closing: true)
        case .idle, .quitting:
            return serverSpokeWithoutSession()
        case .offering, .closed, .modifying:
            return []
        }
    }

    /// The reply timer armed for `generation` ran out.
    mutating func timerFired(generation: Int) -> [ClientConnectionAction] {
        guard activeGeneration == generation, var attempt = takeAttempt() else { return [] }
        let outcome = attempt.session.timedOut(after: attempt.timerLimit.shortText)
        return [.log(.warning, outcome.logText)] + finish(outcome, attempt, closing: true)
    }

    /// A block of message text written for `generation` has gone out.
    mutating func messageBlockWritten(generation: Int) -> [ClientConnectionAction] {
        guard activeGeneration == generation, var attempt = takeAttempt() else { return [] }
        defer { restore(attempt) }
        // A reply before the text was complete (the server gave up on the
        // message) has moved the session on: nothing more is written.
        guard attempt.session.stage == .dataBlock, !attempt.unwrittenText.isEmpty else { return [] }
        attempt.unwrittenText = attempt.unwrittenText.dropFirst(Self.blockSize)
        return Self.nextBlock(&attempt)
    }

    /// The handshake after "220" to STARTTLS succeeded.
    /// - Parameter description: e.g. "TLSv1.3, certificate verified for mx.example", for the outcome.
    mutating func tlsHandshakeSucceeded(_ description: String) -> [ClientConnectionAction] {
        guard awaitsTLSHandshake, var attempt = takeAttempt() else { return [] }
        defer { restore(attempt) }
        return perform(attempt.session.tlsEstablished(description), on: &attempt)
    }

    /// The handshake failed, or its certificate was refused: the connection
    /// is unusable, and an opportunistic attempt may be repeated in plaintext.
    mutating func tlsHandshakeFailed(_ reason: String) -> [ClientConnectionAction] {
        guard awaitsTLSHandshake, var attempt = takeAttempt() else { return [] }
        defer { restore(attempt) }
        attempt.tlsHandshakeFailed = true
        return perform(attempt.session.tlsFailed(reason), on: &attempt)
    }

    /// The channel reported an error. During the TLS handshake it is the
    /// handshake's failure; otherwise the channel is closed, and
    /// `channelClosed` settles the attempt.
    mutating func connectionError(_ description: String) -> [ClientConnectionAction] {
        switch state {
        case .active:
            if awaitsTLSHandshake {
                return [.log(.warning, "TLS handshake failed: \(description)")] + tlsHandshakeFailed(description)
            }
            return [.log(.warning, "connection error: \(description)"), .close]
        case .idle, .quitting:
            return [.close]
        case .offering, .closed, .modifying:
            return []
        }
    }

    /// The channel is closed (or the handler removed): whoever waits is
    /// answered, and an idle connection leaves the cache.
    mutating func channelClosed() -> [ClientConnectionAction] {
        switch state {
        case .active:
            guard var attempt = takeAttempt() else { return [] }
            let outcome = attempt.session.connectionClosed()
            return finish(outcome, attempt, closing: false)
        case .offering(let offer):
            state = .closed
            return [.completeAttempt(offer.result)]
        case .idle:
            state = .closed
            return [.log(.debug, "idle connection closed by the server"), .cancelIdleTimer, .leaveCache]
        case .quitting:
            state = .closed
            return [.cancelIdleTimer]
        case .closed, .modifying:
            return []
        }
    }

    // MARK: - Carrying out the session's actions

    /// The active attempt, taken out of the state (which is `.modifying`
    /// until `restore` or a transition), so that changing it copies nothing.
    mutating func takeAttempt() -> Attempt? {
        guard case .active(let attempt) = state else { return nil }
        state = .modifying
        return attempt
    }

    /// Puts the attempt back, unless the state has moved on meanwhile (the
    /// attempt ended, or the connection went idle).
    mutating func restore(_ attempt: Attempt) {
        if case .modifying = state { state = .active(attempt) }
    }

    /// Turns what the session asks for into actions on the connection.
    mutating func perform(_ action: ClientAction, on attempt: inout Attempt) -> [ClientConnectionAction] {
        switch action {
        case .wait:
            return [Self.armTimer(&attempt)]
        case .send(let bytes):
            return [.write(bytes, carriesCredentials: attempt.session.isAuthenticating), Self.armTimer(&attempt)]
        case .sendMessage(let bytes):
            attempt.unwrittenText = bytes[...]
            return [.log(.debug, "> (message text, \(bytes.count) octets)")] + Self.nextBlock(&attempt)
        case .startTLS:
            // The timer first: starting TLS can fail at once and settle the attempt.
            return [Self.armTimer(&attempt), .startTLS]
        case .close(let outcome):
            return finish(outcome, attempt, closing: true)
        case .keepOpen(let outcome):
            return keep(outcome, attempt)
        }
    }

    /// The next block of message text, or, when all is written, the wait for
    /// the reply to the final ".".
    private static func nextBlock(_ attempt: inout Attempt) -> [ClientConnectionAction] {
        guard !attempt.unwrittenText.isEmpty else {
            attempt.session.messageWritten()
            return [Self.armTimer(&attempt)]
        }
        let block = attempt.unwrittenText.prefix(Self.blockSize)
        return [Self.armTimer(&attempt), .writeMessageBlock(block, generation: attempt.generation)]
    }

    /// The one reply timer, re-armed for the session's current stage.
    private static func armTimer(_ attempt: inout Attempt) -> ClientConnectionAction {
        guard let stage = attempt.session.stage else { return .cancelTimer }
        attempt.timerLimit = attempt.session.configuration.timeouts.limit(for: stage)
        return .armTimer(attempt.timerLimit, generation: attempt.generation)
    }

    /// The attempt is over and the connection with it.
    /// - Parameter closing: false when the channel is already closed.
    private mutating func finish(
        _ outcome: AttemptOutcome, _ attempt: Attempt, closing: Bool
    ) -> [ClientConnectionAction] {
        state = .closed
        let result = AttemptResult(
            outcome: outcome, tlsHandshakeFailed: attempt.tlsHandshakeFailed,
            reusedConnectionFailed: attempt.session.reusedConnectionFailed)
        return [.cancelTimer, .completeAttempt(result)] + (closing ? [.close] : [])
    }
}
