/// What one attempt on a connection hands back to `SMTPClient`: the outcome,
/// and the two facts that decide whether the client tries again at once.
struct AttemptResult: Sendable, Hashable {
    var outcome: AttemptOutcome
    /// The STARTTLS handshake failed (an opportunistic attempt may then be
    /// repeated in plaintext).
    var tlsHandshakeFailed = false
    /// The session ran on a cached connection that turned out to be dead
    /// before anything of the message was committed: try a fresh one.
    var reusedConnectionFailed = false
}
