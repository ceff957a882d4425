import MailCore

@testable import SMTPClient

/// Plays the channel and the cache for a `ClientConnectionLifecycle`, without
/// sockets: server text is decoded into replies, and every action the
/// lifecycle returns is recorded. The answers that the handler would get
/// from the cache (`offerToCache`, `withdrawFromCache`) are given as set in
/// `cacheAccepts` and `cacheStillHolds`, as the handler does at once.
struct LifecycleDriver {
    static let envelope = OutboundEnvelope(reversePath: "sender@origin.test", recipients: ["rcpt@dest.test"])
    static let message = Array("Subject: test\r\n\r\nHello\r\n".utf8)

    var lifecycle: ClientConnectionLifecycle
    var decoder = SMTPReplyDecoder()
    /// Every action so far, in order.
    private(set) var actions: [ClientConnectionAction] = []
    /// Whether the cache takes the connection when offered.
    var cacheAccepts = true
    /// Whether the connection is still in the cache when withdrawn (false:
    /// a send has taken it).
    var cacheStillHolds = true
    let configuration: SMTPClientConfiguration

    init(
        maximumReuse: Int = 100, idleTimeout: Duration = .seconds(5),
        configure: (inout SMTPClientConfiguration) -> Void = { $0.tls = .disabled }
    ) {
        var configuration = SMTPClientConfiguration(heloName: "client.test")
        configure(&configuration)
        self.configuration = configuration
        let session = SMTPClientSession(
            configuration: configuration, envelope: Self.envelope, message: Self.message, remote: "192.0.2.1:25")
        lifecycle = ClientConnectionLifecycle(session: session, maximumReuse: maximumReuse, idleTimeout: idleTimeout)
    }

    // MARK: Events

    /// Feeds one event; returns its actions (and those of the cache's answer).
    @discardableResult
    mutating func feed(_ event: (inout ClientConnectionLifecycle) -> [ClientConnectionAction]) -> [ClientConnectionAction] {
        var new = event(&lifecycle)
        var index = 0
        while index < new.count {
            switch new[index] {
            case .offerToCache:
                new += lifecycle.cacheOfferAnswered(accepted: cacheAccepts)
            case .withdrawFromCache:
                new += lifecycle.withdrawalAnswered(removed: cacheStillHolds)
            case .startTLS:
                decoder.reset()
            default:
                break
            }
            index += 1
        }
        actions += new
        return new
    }

    /// Feeds the server's `text` in one read, as the handler does.
    @discardableResult
    mutating func server(_ text: String) -> [ClientConnectionAction] {
        decoder.feed(Array(text.utf8))
        var all: [ClientConnectionAction] = []
        while true {
            do {
                guard let reply = try decoder.next() else { return all }
                all += feed { $0.replyReceived(reply) }
            } catch {
                decoder.reset()
                return all + feed { $0.protocolError(error) }
            }
        }
    }

    /// Resumes with a new session for the same envelope on the connection.
    mutating func resume() -> ResumeDecision {
        guard case .idle(_, let established) = lifecycle.state else {
            let session = SMTPClientSession(
                configuration: configuration, envelope: Self.envelope, message: Self.message,
                resuming: EstablishedConnection(
                    baseRemote: "192.0.2.1:25", remote: "192.0.2.1:25 (no TLS)", capabilities: ServerCapabilities(),
                    usedEHLO: true, tlsActive: false))
            return lifecycle.resume(session)
        }
        let session = SMTPClientSession(
            configuration: configuration, envelope: Self.envelope, message: Self.message, resuming: established)
        let decision = lifecycle.resume(session)
        if case .resumed(let new) = decision { actions += new }
        decoder = SMTPReplyDecoder()
        return decision
    }

    /// Reports every block of message text written, as the channel would.
    mutating func writeMessage() {
        while case .writeMessageBlock(_, let generation)? = actions.last {
            feed { $0.messageBlockWritten(generation: generation) }
        }
    }

    // MARK: Scripts

    /// Greeting, EHLO with PIPELINING, the batch, 354, the text, and the
    /// reply to the final dot: one whole first transaction.
    mutating func firstTransaction(finalReply: String = "250 2.0.0 Ok: queued\r\n") {
        feed { $0.connected() }
        server("220 mx.dest.test ESMTP\r\n")
        server(ehlo(["PIPELINING"]))
        server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
        writeMessage()
        server(finalReply)
    }

    /// RSET, the batch, 354, the text, the final reply: a transaction on a
    /// resumed connection.
    mutating func resumedTransaction() {
        server("250 2.0.0 Ok\r\n")
        server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
        writeMessage()
        server("250 2.0.0 Ok: queued\r\n")
    }

    // MARK: Reading the record

    /// The results handed to waiting callers, in order.
    var completions: [AttemptResult] {
        actions.compactMap {
            if case .completeAttempt(let result) = $0 { return result }
            return nil
        }
    }

    /// The command text written, one entry per write.
    var written: [String] {
        actions.compactMap {
            if case .write(let bytes, _) = $0 { return String(decoding: bytes, as: UTF8.self) }
            return nil
        }
    }

    var closed: Bool { actions.contains(.close) }

    var stateName: String {
        switch lifecycle.state {
        case .active: return "active"
        case .offering: return "offering"
        case .idle: return "idle"
        case .quitting: return "quitting"
        case .closed: return "closed"
        case .modifying: return "modifying"
        }
    }

    /// Every event the channel or a timer could still report, for any
    /// generation up to `generations`: what a dead attempt must ignore.
    @discardableResult
    mutating func everyEvent(generations: Int = 3) -> [ClientConnectionAction] {
        var all: [ClientConnectionAction] = []
        for generation in 0...generations {
            all += feed { $0.timerFired(generation: generation) }
            all += feed { $0.messageBlockWritten(generation: generation) }
            all += feed { $0.idleTimerFired(generation: generation) }
        }
        all += feed { $0.replyReceived(SMTPReply(250, nil, "late")) }
        all += feed { $0.protocolError(.malformedLine("junk")) }
        all += feed { $0.tlsHandshakeSucceeded("TLSv1.3") }
        all += feed { $0.tlsHandshakeFailed("late") }
        all += feed { $0.connectionError("reset") }
        all += feed { $0.cacheOfferAnswered(accepted: true) }
        all += feed { $0.withdrawalAnswered(removed: true) }
        all += feed { $0.shutDown() }
        all += feed { $0.channelClosed() }
        all += feed { $0.channelClosed() }
        return all
    }
}

extension AttemptResult {
    var failureReason: String? {
        if case .failed(let reason, _, _) = outcome { return reason }
        return nil
    }

    var isTransaction: Bool {
        if case .transaction = outcome { return true }
        return false
    }
}
