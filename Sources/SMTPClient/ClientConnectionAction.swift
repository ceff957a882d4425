/// What the channel handler must do after feeding `ClientConnectionLifecycle`
/// an event. Actions come in the order they are to be carried out; one that
/// can feed an event straight back (`startTLS`, `writeMessageBlock`,
/// `offerToCache`, `withdrawFromCache`) is always the last of its list.
enum ClientConnectionAction: Sendable, Hashable {
    /// Write these command bytes. `carriesCredentials`: an AUTH line, which
    /// the log must not show.
    case write([UInt8], carriesCredentials: Bool)
    /// Write one block of message text; when the write has completed, report
    /// `messageBlockWritten(generation:)` with this generation.
    case writeMessageBlock(ArraySlice<UInt8>, generation: Int)
    /// (Re)arm the one reply timer: after `limit`, report
    /// `timerFired(generation:)`. Replaces any timer armed before.
    case armTimer(Duration, generation: Int)
    case cancelTimer
    /// (Re)arm the timer of a connection no session uses (idle in the cache,
    /// or waiting for the reply to QUIT): after the duration, report
    /// `idleTimerFired(generation:)`.
    case armIdleTimer(Duration, generation: Int)
    case cancelIdleTimer
    /// Insert the TLS handler and drop the reply bytes buffered so far (RFC
    /// 3207 § 4.2); then report `tlsHandshakeSucceeded` or `tlsHandshakeFailed`.
    case startTLS
    /// Try to put the connection into the cache, with what was negotiated on
    /// it; report the answer with `cacheOfferAnswered(accepted:)`.
    case offerToCache(EstablishedConnection)
    /// Try to take the connection back out of the cache before closing it;
    /// report `withdrawalAnswered(removed:)` (false: a send has taken it and
    /// will resume it).
    case withdrawFromCache
    /// Remove the connection from the cache, if it is still there; no answer.
    case leaveCache
    /// Close the channel.
    case close
    /// Hand the result to whoever waits for the current attempt. Emitted
    /// exactly once per attempt.
    case completeAttempt(AttemptResult)
    /// A line for the log, with why something happened.
    case log(Note, String)

    enum Note: Sendable, Hashable {
        case debug
        case warning
    }
}

/// The answer to `ClientConnectionLifecycle.resume(_:)`.
enum ResumeDecision: Sendable, Hashable {
    /// The connection takes the session: its promise becomes the current
    /// attempt's, and these actions start it.
    case resumed([ClientConnectionAction])
    /// The connection is no longer usable: complete the resume's promise with
    /// this result at once (the current attempt, if any, is not affected).
    case refused(AttemptResult)
}
