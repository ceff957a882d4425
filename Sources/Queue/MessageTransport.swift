/// The outcome of one delivery attempt for one recipient.
public enum TransportResult: Sendable, Hashable {
    /// The remote server accepted it (`250` to the final dot).
    case sent(remote: String, reply: String)
    /// Try again later: 4xx, connection trouble, a temporary DNS failure.
    case deferred(reason: String, remote: String?)
    /// Permanent: 5xx, a domain that does not exist or accepts no mail.
    /// `status` is the RFC 3463 code for the DSN.
    case failed(status: String, reason: String, remote: String?)
}

/// Carries a queued message to the recipients of one destination domain.
/// The real one looks up MX records and speaks SMTP; tests use fakes.
public protocol MessageTransport: Sendable {
    func deliver(_ message: [UInt8], reversePath: String, recipients: [String], domain: String) async -> [String: TransportResult]
    /// Closes what the transport keeps open (cached connections) at shutdown.
    func shutdown() async
}

extension MessageTransport {
    public func shutdown() async {}
}

/// Where bounces go: the Server delivers them locally when the sender is a
/// local user, or queues them (from `<>`) for a remote sender.
public protocol BounceSink: Sendable {
    /// Delivers or queues the bounce; returns the bounce's own queue id, for the log.
    func deliverBounce(_ message: [UInt8], to sender: String, about queueID: String) async throws -> String
}
