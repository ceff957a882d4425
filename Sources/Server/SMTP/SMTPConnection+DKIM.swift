import DKIM
import Foundation
import Logging
import MailCore
import MailStore
import SMTPProtocol

extension SMTPConnection {
    /// Adds DKIM-Signature fields to a message that leaves this server: one
    /// with relayed recipients (so its client was allowed to relay: it
    /// authenticated, or is in a client network) whose one From address is
    /// in a domain with keys. Signed before the message is stored, so the
    /// queued copy is the signed one and nothing is written twice; the 250
    /// still waits for the stored copy's fsync.
    ///
    /// Other mail passes unchanged: inbound mail, mail from another domain,
    /// a From with no or several addresses (signing would vouch for a domain
    /// the sender may not speak for). A read or signing failure is a
    /// temporary refusal, as a storage failure is: the client tries again,
    /// rather than the mail leaving unsigned and failing DMARC.
    func dkimSigned(_ content: MessageContent, _ transaction: MailTransaction, logger: Logger) async throws(DeliveryError)
        -> MessageContent
    {
        guard let keyring = services.dkim, !keyring.isEmpty else { return content }
        let relayed = transaction.recipients.contains {
            if case .relay = $0.destination { return true }
            return false
        }
        guard relayed else { return content }
        let time = Int(Date().timeIntervalSince1970)
        let outcome: Result<DKIMMessageSigning.Signed, DKIMMessageSigning.Unsigned>
        do {
            outcome = try await services.delivery.run {
                () throws -> Result<DKIMMessageSigning.Signed, DKIMMessageSigning.Unsigned> in
                do {
                    return .success(try DKIMMessageSigning.sign(content, keyring: keyring, time: time))
                } catch let unsigned as DKIMMessageSigning.Unsigned {
                    return .failure(unsigned)
                }
            }
        } catch let error as DeliveryError {
            throw error
        } catch {
            throw DeliveryError.ioError("DKIM signing failed: \(error)")
        }
        switch outcome {
        case .failure(let reason):
            logger.debug("not DKIM-signed: \(LogField.text(reason.description))")
            return content
        case .success(let signed):
            let selectors = signed.selectors.map { LogField.word($0) }.joined(separator: ",")
            let algorithms = signed.algorithms.map(\.rawValue).joined(separator: ", ")
            logger.info("DKIM signed d=\(LogField.word(signed.domain)) s=\(selectors) (\(algorithms))")
            var content = content
            content.head = signed.fields + content.head
            return content
        }
    }
}
