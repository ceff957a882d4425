import MailCore

/// Connection reuse (RFC 5321 § 3.3: a session may carry several
/// transactions): into the cache after a clean transaction, idle until the
/// next session or the idle timeout, QUIT when the connection is not kept.
///
/// The cache is shared across event loops, so its answers come back as
/// events: whoever removes a connection from it first owns the connection.
extension ClientConnectionLifecycle {
    /// The session's transaction is over and it wants the connection kept:
    /// offered to the cache, or QUIT when it has carried its share of
    /// transactions.
    mutating func keep(_ outcome: AttemptOutcome, _ attempt: Attempt) -> [ClientConnectionAction] {
        transactions += 1
        let result = AttemptResult(outcome: outcome, tlsHandshakeFailed: attempt.tlsHandshakeFailed)
        guard transactions < maximumReuse else {
            let note = "connection not kept after \(transactions) transaction(s); closing it"
            return [.cancelTimer] + quit(generation: attempt.generation, note) + [.completeAttempt(result)]
        }
        state = .offering(
            Offer(result: result, generation: attempt.generation, established: attempt.session.established))
        return [.cancelTimer, .offerToCache(attempt.session.established)]
    }

    /// The cache's answer to `offerToCache`. The attempt completes after
    /// the cache has the connection, so that the caller's next send finds it.
    mutating func cacheOfferAnswered(accepted: Bool) -> [ClientConnectionAction] {
        guard case .offering(let offer) = state else { return [] }
        guard accepted else {
            return quit(
                generation: offer.generation,
                "connection not kept after \(transactions) transaction(s) (the cache is full or shut down); closing it")
                + [.completeAttempt(offer.result)]
        }
        state = .idle(generation: offer.generation, established: offer.established)
        return [
            .log(.debug, "connection kept open for reuse after \(transactions) transaction(s)"),
            .armIdleTimer(idleTimeout, generation: offer.generation),
            .completeAttempt(offer.result),
        ]
    }

    /// The idle timer, or the wait for the reply to QUIT, ran out.
    mutating func idleTimerFired(generation: Int) -> [ClientConnectionAction] {
        switch state {
        case .idle(let current, _) where current == generation:
            // Whoever removes the entry owns the connection: a send that has
            // just taken it will call `resume` next.
            return [.withdrawFromCache]
        case .quitting(let current) where current == generation:
            state = .closed
            return [.close]
        default:
            return []
        }
    }

    /// The cache's answer to `withdrawFromCache` after the idle timeout.
    mutating func withdrawalAnswered(removed: Bool) -> [ClientConnectionAction] {
        guard removed, case .idle(let generation, _) = state else { return [] }
        return quit(generation: generation, "idle connection unused for \(idleTimeout.shortText); closing it")
    }

    /// The next transaction on this idle connection, which the caller has
    /// taken from the cache.
    mutating func resume(_ next: SMTPClientSession) -> ResumeDecision {
        guard case .idle(let previous, _) = state else { return .refused(Self.closedWhileCached(next)) }
        var session = next
        session.keepsConnectionOpen = transactions + 1 < maximumReuse
        var attempt = Attempt(session: session, generation: previous + 1)
        state = .modifying
        defer { restore(attempt) }
        let start = perform(attempt.session.resume(), on: &attempt)
        return .resumed(
            [.cancelIdleTimer, .log(.debug, "reusing the connection for transaction \(transactions + 1)")] + start)
    }

    /// The result for a session whose cached connection was gone before it
    /// could start: nothing was sent, so a fresh connection may take it.
    static func closedWhileCached(_ next: SMTPClientSession) -> AttemptResult {
        AttemptResult(
            outcome: .failed(
                reason: "the cached connection to \(next.established.baseRemote) was closed", reply: nil, isPermanent: false),
            reusedConnectionFailed: true)
    }

    /// QUIT on an idle connection that the client shuts down (the cache has
    /// already let go of it).
    mutating func shutDown() -> [ClientConnectionAction] {
        guard case .idle(let generation, _) = state else { return [] }
        return quit(generation: generation, "idle connection closed at shutdown")
    }

    /// Bytes from the server on a connection no session uses: a 421 before it
    /// closes, the reply to QUIT, or junk. Either way the connection is done.
    mutating func serverSpokeWithoutSession() -> [ClientConnectionAction] {
        switch state {
        case .idle:
            state = .closed
            return [
                .log(.debug, "the server spoke on an idle connection; closing it"), .cancelIdleTimer, .leaveCache,
                .close,
            ]
        case .quitting:
            state = .closed
            return [.cancelIdleTimer, .close]
        default:
            return []
        }
    }

    /// QUIT, then close on the reply or after `quitWait`.
    private mutating func quit(generation: Int, _ note: String) -> [ClientConnectionAction] {
        state = .quitting(generation: generation)
        return [
            .log(.debug, note),
            .write(SMTPClientSession.command("QUIT"), carriesCredentials: false),
            .armIdleTimer(quitWait, generation: generation),
        ]
    }
}
