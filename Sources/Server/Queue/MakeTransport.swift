import Logging
import Queue

extension MailServer {
    /// The transport the queue delivers with.
    func makeTransport(logger: Logger) throws -> any MessageTransport {
        PendingTransport()
    }
}

/// Placeholder until the outbound SMTP client is wired in: defers every attempt.
struct PendingTransport: MessageTransport {
    func deliver(_ message: [UInt8], reversePath: String, recipients: [String], domain: String) async -> [String: TransportResult] {
        Dictionary(uniqueKeysWithValues: recipients.map { ($0, .deferred(reason: "outbound delivery is not available yet", remote: nil)) })
    }
}
