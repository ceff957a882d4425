import Foundation

/// When to order a certificate: pure functions of dates, tested with fixed ones.
public enum RenewalSchedule {
    /// Renewal at two thirds of the lifetime (a 90-day certificate renews
    /// with 30 days left, as Let's Encrypt advises), or `renewBefore` the end
    /// when the operator set `[tls.acme] renew_before` — but never before a
    /// third of the lifetime: a `renew_before` longer than the CA's
    /// certificates live would otherwise make every new certificate due at
    /// once, and the server would order without end.
    public static func renewalDate(notBefore: Date, notAfter: Date, renewBefore: Duration? = nil) -> Date {
        let lifetime = notAfter.timeIntervalSince(notBefore)
        guard let renewBefore else { return notBefore.addingTimeInterval(lifetime * 2 / 3) }
        return max(notAfter.addingTimeInterval(-renewBefore.acmeSeconds), notBefore.addingTimeInterval(lifetime / 3))
    }

    /// Why a certificate must be ordered now, or nil when the current one
    /// serves until its renewal date.
    public static func reasonToOrder(
        _ current: CertificateFacts?, domains: [String], now: Date, renewBefore: Duration? = nil
    ) -> String? {
        guard let current else { return "no certificate yet" }
        if current.selfSigned { return "the certificate is self-signed" }
        if !current.covers(domains) {
            return "the certificate names \(current.names.joined(separator: ", ")), not \(domains.joined(separator: ", "))"
        }
        let renewal = renewalDate(notBefore: current.notBefore, notAfter: current.notAfter, renewBefore: renewBefore)
        if now >= renewal { return "the certificate is due for renewal (expires \(current.notAfter))" }
        return nil
    }

    /// The wait after the n-th failure in a row (n ≥ 1): one minute,
    /// doubling, at most six hours; `jitter` in 0..<1 spreads it by up to
    /// +10 % (never past the ceiling) so that many servers behind one
    /// failure do not return together. A Retry-After from the server
    /// (rate limits) lengthens it.
    public static func backoff(failures: Int, jitter: Double, retryAfter: Duration? = nil) -> Duration {
        let first = 60.0
        let ceiling = 6.0 * 3600
        let exponent = Double(min(max(failures, 1) - 1, 20))
        let base = min(first * pow(2, exponent), ceiling)
        var seconds = min(base * (1 + 0.1 * min(max(jitter, 0), 1)), ceiling)
        if let retryAfter { seconds = max(seconds, retryAfter.acmeSeconds) }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}

extension Duration {
    /// Seconds as a Double, for Date arithmetic.
    var acmeSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
