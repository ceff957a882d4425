/// The parts of the server that log, each with its own level setting
/// (`[log.modules]` in sims.toml names them).
public enum LogModule: String, CaseIterable, Sendable {
    case smtp = "SMTP"
    case submit = "SUBMIT"
    case pop3 = "POP3"
    case imap = "IMAP"
    case queue = "QUEUE"
    case delivery = "DELIVERY"
    case dns = "DNS"
    case policy = "POLICY"
    case admin = "ADMIN"
    case system = "SYSTEM"
}
