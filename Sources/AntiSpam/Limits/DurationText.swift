extension Duration {
    /// Whole seconds, rounded up and at least 1, for texts that tell a client
    /// when to come back ("try again in 0 seconds" would be a lie).
    var wholeSecondsRoundedUp: Int64 {
        let (seconds, attoseconds) = components
        return max(1, seconds + (attoseconds > 0 ? 1 : 0))
    }
}
