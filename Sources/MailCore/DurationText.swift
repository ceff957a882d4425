extension Duration {
    /// A duration as log lines and replies show it: `300ms`, `45s`, `3m12s`,
    /// `10m`, `1h2m`, `2h`. The one duration formatter for logs and replies
    /// (sims.toml's own spelling lives with the configuration). Whole seconds
    /// are cut, not rounded: "login 3s ago" must not claim more than
    /// happened. Callers that promise a time to come use
    /// `roundedUpToWholeSeconds` first.
    public var shortText: String {
        let (seconds, attoseconds) = components
        if seconds <= 0 { return "\(max(0, attoseconds / 1_000_000_000_000_000))ms" }
        let hours = seconds / 3600, minutes = seconds % 3600 / 60, rest = seconds % 60
        var text = hours > 0 ? "\(hours)h" : ""
        if minutes > 0 || (hours > 0 && rest > 0) { text += "\(minutes)m" }
        if rest > 0 || text.isEmpty { text += "\(rest)s" }
        return text
    }

    /// A duration in its largest exact unit, as sims.toml writes it: `30s`,
    /// `5m`, `90m`, `1h`, `2d`, `1500ms` (sub-millisecond parts are cut).
    /// Unlike `shortText` it never drops part of the value, so a limit named
    /// in a message can be written back into the configuration as it is.
    public var exactText: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        guard milliseconds % 1000 == 0 else { return "\(milliseconds)ms" }
        for (unit, length) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where seconds > 0 && seconds % length == 0 {
            return "\(seconds / length)\(unit)"
        }
        return "\(seconds)s"
    }

    /// Whole seconds, rounded up and at least one, for texts that tell a
    /// client when to come back ("try again in 0s" would be a lie).
    public var roundedUpToWholeSeconds: Duration {
        let (seconds, attoseconds) = components
        return .seconds(max(1, seconds + (attoseconds > 0 ? 1 : 0)))
    }
}

extension Duration {
    /// The duration in seconds, for Foundation's `Date` arithmetic (the
    /// queue's wall-clock schedule, condition-variable deadlines).
    public var timeInterval: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
