import Foundation
import MailCore
import MailStore
import Queue

/// The SMTP side's handle on the outbound queue: the spool to store into
/// durably, and the runner to wake once the reply is on its way.
struct OutboundQueue: Sendable {
    let spool: Spool
    let runner: QueueRunner
}
