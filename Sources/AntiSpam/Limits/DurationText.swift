extension Duration {
    /// Whole seconds, rounded up and at least 1, for texts that tell a client
    /// when to come back ("try again in 0 seconds" would be a lie).
    var wholeSecondsRoundedUp: Int64 {
        let (seconds, attoseconds) = components
        return max(1, seconds + (attoseconds > 0 ? 1 : 0))
    }
}

extension Duration {
    /// `300ms`, `45s`, `30m`, `2h`, `1h30m`: for log lines and replies.
    public var logText: String {
        let (seconds, attoseconds) = components
        if seconds == 0 { return "\(attoseconds / 1_000_000_000_000_000)ms" }
        let whole = seconds + (attoseconds > 0 ? 1 : 0)
        if whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole >= 3600 { return "\(whole / 3600)h\(whole % 3600 / 60)m" }
        if whole % 60 == 0 { return "\(whole / 60)m" }
        return whole > 60 ? "\(whole / 60)m\(whole % 60)s" : "\(whole)s"
    }
}
