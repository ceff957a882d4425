/// The Generic Cell Rate Algorithm (GCRA, ITU-T I.371) for "`limit` events
/// per `window`": one instant per key, the theoretical arrival time (TAT).
///
/// Each event pushes the TAT forward by `window / limit`; an event is refused
/// when that would put the TAT more than `window` ahead of now. So a client
/// may use its whole allowance in a burst and then regains one event every
/// `window / limit` — a sliding window without storing timestamps. A key
/// whose TAT has passed is indistinguishable from a fresh one, which is what
/// lets `ExpiringTable` forget it.
struct RateCounter {
    let limit: Int
    let window: Duration

    var interval: Duration { window / limit }

    /// The new TAT if `cost` more events fit, otherwise how long until they would.
    func admit(cost: Int, tat: ContinuousClock.Instant?, now: ContinuousClock.Instant)
        -> Result<ContinuousClock.Instant, Refusal>
    {
        let start = max(tat ?? now, now)
        let next = start + interval * cost
        let ahead = next - now
        if ahead > window { return .failure(Refusal(retryAfter: ahead - window)) }
        return .success(next)
    }

    struct Refusal: Error {
        var retryAfter: Duration
    }
}
