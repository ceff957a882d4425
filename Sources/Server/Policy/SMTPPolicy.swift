import Logging
import MailCore
import SMTPProtocol

/// The anti-spam checks of one SMTP server, as the connection calls them:
/// at connect, at HELO/EHLO, at MAIL and at RCPT. Each returns a verdict the
/// session carries out, and logs its evidence.
struct SMTPPolicy: Sendable {
    /// Whether the session must ask about HELO names and senders at all.
    var checksHello: Bool { false }
    var checksSender: Bool { false }

    func checkHello(_ name: String, client: String, logger: Logger) async -> PolicyVerdict { .accept }

    func checkSender(_ transaction: MailTransaction, client: String, logger: Logger) async -> PolicyVerdict { .accept }
}
