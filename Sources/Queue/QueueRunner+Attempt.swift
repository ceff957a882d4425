import Foundation
import Logging
import MailCore

extension QueueRunner {
    /// One delivery attempt for every pending recipient of a message.
    func attempt(_ id: String) async {
        guard var envelope = state.withLock({ $0.index[id] }) else { return }
        var logger = self.logger
        logger[metadataKey: "qid"] = "\(id)"
        let message: [UInt8]
        do {
            let spool = self.spool
            message = try await blocking.run { try spool.message(id) }
        } catch {
            logger.error("message file unreadable, cannot deliver: \(error)")
            envelope.nextAttempt = now().addingTimeInterval(settings.schedule.delays[0])
            state.withLock { $0.index.put(envelope) }
            return
        }
        var newlyFailed: [FailedRecipient] = []
        let byDomain = Dictionary(grouping: envelope.pendingRecipients, by: \.domain)
        for (domain, recipients) in byDomain.sorted(by: { $0.key < $1.key }) {
            await slots.acquire(domain)
            // Each address once, whatever the envelope holds.
            var seen = Set<String>()
            let addresses = recipients.map(\.address).filter { seen.insert($0).inserted }
            let results = await transport.deliver(
                message, reversePath: envelope.reversePath, recipients: addresses, domain: domain)
            await slots.release(domain)
            for recipient in recipients {
                let result = results[recipient.address] ?? .deferred(reason: "no result from transport", remote: nil)
                if let failure = record(result, for: recipient.address, in: &envelope, logger: logger) {
                    newlyFailed.append(failure)
                }
            }
        }
        envelope.attempts += 1
        if !envelope.isFinished {
            if let next = settings.schedule.nextAttempt(after: envelope.attempts, created: envelope.created, now: now()) {
                envelope.nextAttempt = next
                logger.info("\(envelope.pendingRecipients.count) recipient(s) deferred, attempt \(envelope.attempts + 1) at \(Self.isoTime(next))")
            } else {
                newlyFailed += expire(&envelope, logger: logger)
            }
        }
        await bounce(newlyFailed, of: envelope, message: message, logger: logger)
        await finish(envelope, logger: logger)
    }

    /// Applies one recipient's result; returns it when it failed for good.
    func record(_ result: TransportResult, for address: String, in envelope: inout QueuedMessage, logger: Logger) -> FailedRecipient? {
        guard let index = envelope.recipients.firstIndex(where: { $0.address == address && $0.state == .pending }) else { return nil }
        switch result {
        case .sent(let remote, let reply):
            envelope.recipients[index].state = .sent
            envelope.recipients[index].remoteHost = remote
            envelope.recipients[index].lastResult = reply
            logger.info("\(RecipientFate.sent.line(address: address, "\(remote) said \(LogField.text(reply)) (\(envelope.recipients[index].permission))"))")
            return nil
        case .deferred(let reason, let remote):
            envelope.recipients[index].lastResult = reason
            envelope.recipients[index].remoteHost = remote
            logger.notice("\(RecipientFate.deferred.line(address: address, "\(remote.map { "\($0): " } ?? "")\(LogField.text(reason))"))")
            return nil
        case .failed(let status, let reason, let remote):
            envelope.recipients[index].state = .failed
            envelope.recipients[index].status = status
            envelope.recipients[index].lastResult = reason
            envelope.recipients[index].remoteHost = remote
            logger.notice("\(RecipientFate.bounced.line(address: address, "\(remote.map { "\($0): " } ?? "")\(LogField.text(reason))"))")
            return FailedRecipient(address: address, action: "failed", status: status, remoteHost: remote, diagnostic: reason)
        }
    }

    /// Past the maximum lifetime: every pending recipient fails with 4.4.7.
    func expire(_ envelope: inout QueuedMessage, logger: Logger) -> [FailedRecipient] {
        var failed: [FailedRecipient] = []
        for index in envelope.recipients.indices where envelope.recipients[index].state == .pending {
            let last = envelope.recipients[index].lastResult ?? "no attempt succeeded"
            let reason = "delivery time expired after \(envelope.attempts) attempts; last error: \(last)"
            envelope.recipients[index].state = .failed
            envelope.recipients[index].status = "4.4.7"
            logger.notice("\(RecipientFate.bounced.line(address: envelope.recipients[index].address, LogField.text(reason)))")
            failed.append(FailedRecipient(
                address: envelope.recipients[index].address, action: "failed", status: "4.4.7",
                remoteHost: envelope.recipients[index].remoteHost, diagnostic: reason))
        }
        return failed
    }

    /// Sends the sender a DSN for the recipients that failed — except when
    /// the message is itself a bounce: a bounce is never bounced.
    func bounce(_ failed: [FailedRecipient], of envelope: QueuedMessage, message: [UInt8], logger: Logger) async {
        guard !failed.isEmpty else { return }
        guard !envelope.isBounce else {
            logger.notice("bounce undeliverable, discarded: the null sender <> gets no bounce (RFC 5321 § 4.5.5)")
            return
        }
        let report = DeliveryStatusNotification.make(
            hostname: settings.hostname, queueID: envelope.id, sender: envelope.reversePath, arrival: envelope.created,
            recipients: failed, originalMessage: message, now: now())
        do {
            let bounceID = try await bounces.deliverBounce(report, to: envelope.reversePath, about: envelope.id)
            logger.info(
                "delivery status notification for \(failed.count) recipient(s) sent to \(LogField.address(envelope.reversePath)) as \(bounceID)")
        } catch {
            logger.error("could not send the delivery status notification to \(LogField.address(envelope.reversePath)): \(error)")
        }
    }

    /// Saves the envelope, or removes the message when nobody is pending.
    func finish(_ envelope: QueuedMessage, logger: Logger) async {
        let spool = self.spool
        if envelope.isFinished {
            _ = try? await blocking.run { spool.remove(envelope.id) }
            state.withLock { _ = $0.index.remove(envelope.id) }
            logger.info("removed from queue: all recipients done")
            return
        }
        do {
            try await blocking.run { try spool.update(envelope) }
        } catch {
            logger.error("could not save the queue state (the last attempt may be repeated): \(error)")
        }
        state.withLock { $0.index.put(envelope) }
    }

    static func isoTime(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
