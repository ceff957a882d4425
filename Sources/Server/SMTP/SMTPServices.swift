import Configuration
import Logging
import MailCore
import MailStore
import NIOCore
import NIOSSL
import Policy
import SMTPProtocol

/// What every SMTP connection shares: configuration, directory, storage.
struct SMTPServices: Sendable {
    let hostname: String
    let limits: ServerConfiguration.Limits
    let timeouts: ServerConfiguration.Timeouts
    let directory: Directory
    let delivery: LocalDelivery
    let queueIDs: QueueIDGenerator
    let tls: ServerTLS
    let logs: LogFactory
    /// `relay.client_networks`: addresses that may relay (reloaded on SIGHUP).
    let clientNetworks: ClientNetworks
    /// This host's default gateways, trusted only when a client network
    /// names one alone (`RelayDecision`); kept current by `GatewayWatch`.
    var gateways = GatewayAddresses()
    /// `submission.hide_client_address`: no client IP in Received for authenticated senders.
    let hideSubmitterAddress: Bool
    /// Brute-force protection, shared by every listener.
    let authGuard: AuthenticationGuard
    /// Recent successful password checks, shared by SMTP AUTH and POP3.
    let verifiedPasswords = VerifiedPasswordCache()
    /// Recent POP3 logins that may relay (`relay.pop_before_smtp`); nil when off.
    let popBeforeSMTP: PopBeforeSMTP?
    /// The anti-spam checks.
    let policy: SMTPPolicy
    /// Where relayed recipients go; nil when the queue is not running.
    let outbound: OutboundQueue?
    /// Where large messages are written while they arrive (the spool's
    /// tmp/, emptied at startup).
    let spillDirectory: String
    /// The DKIM signing keys; nil or empty: nothing is signed.
    var dkim: DKIMKeyring? = nil

    func sessionConfiguration(submission: Bool) -> SMTPSessionConfiguration {
        var configuration = SMTPSessionConfiguration(hostname: hostname)
        configuration.commandLineLimit = limits.commandLineLength
        configuration.textLineLimit = limits.textLineLength
        configuration.maximumMessageSize = limits.messageSize
        configuration.maximumRecipients = limits.recipientsPerMessage
        configuration.maximumErrors = limits.errorsPerSession
        configuration.maximumCommands = limits.commandsPerSession
        configuration.startTLSAvailable = tls.current != nil
        configuration.authenticationRequired = submission
        configuration.authenticationAvailable = true
        configuration.maximumHops = limits.receivedHeaders
        configuration.spillThreshold = limits.messageMemory
        configuration.checksHello = policy.checksHello
        configuration.checksSender = policy.checksSender
        return configuration
    }
}
