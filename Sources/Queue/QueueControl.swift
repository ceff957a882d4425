import Foundation
import MailCore
import MailStore

/// What `sims queue` can ask of the running server.
public enum QueueRequest: Sendable, Equatable {
    /// Try now (one message, or all with id nil).
    case retry(String?)
    /// Remove without a bounce.
    case delete(String)
    /// Give up now and bounce every pending recipient.
    case bounce(String)

    var fileName: String {
        let unique = "\(Int(Date().timeIntervalSince1970 * 1000))-\(UInt32.random(in: 0...UInt32.max))"
        switch self {
        case .retry(let id): return "\(unique).retry.\(id ?? "*")"
        case .delete(let id): return "\(unique).delete.\(id)"
        case .bounce(let id): return "\(unique).bounce.\(id)"
        }
    }

    init?(fileName: String) {
        let parts = fileName.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count == 3 else { return nil }
        switch parts[1] {
        case "retry": self = .retry(parts[2] == "*" ? nil : parts[2])
        case "delete": self = .delete(parts[2])
        case "bounce": self = .bounce(parts[2])
        default: return nil
        }
    }
}

extension Spool {
    /// Leaves a request for the running server (read within a second).
    public func request(_ request: QueueRequest) throws {
        let path = "\(controlDirectory)/\(request.fileName)"
        // An empty file, created in place. Not FileManager.createFile: it
        // writes a temporary file and renames it, and the runner's scan
        // could remove that temporary name (not a request) in between.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, "errno": errno])
        }
        close(fd)
    }

    /// The waiting requests, oldest first, each with a function that
    /// removes it once it has been carried out.
    func pendingRequests() -> [(request: QueueRequest, done: @Sendable () -> Void)] {
        BlockingWork.assertMayBlock("Spool.pendingRequests")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: controlDirectory)) ?? []).sorted()
        let directory = controlDirectory
        return names.compactMap { name in
            guard let request = QueueRequest(fileName: name) else {
                unlink("\(directory)/\(name)")  // not ours: do not trip over it every second
                return nil
            }
            return (request, { unlink("\(directory)/\(name)") })
        }
    }
}

extension QueueRunner {
    /// Carries out waiting requests; returns the ids to bounce, which the
    /// caller runs as tasks of its own group (a bounce may need the network).
    /// The directory scan and the removals run on the blocking runner.
    func applyControlRequests() async -> [String] {
        var toBounce: [String] = []
        let spool = self.spool
        let pending = (try? await blocking.run { spool.pendingRequests() }) ?? []
        for (request, remove) in pending {
            let done = { _ = try? await self.blocking.run(remove) }
            switch request {
            case .retry(let id):
                let count = state.withLock { state -> Int in
                    var count = 0
                    for key in state.index.ids where id == nil || key == id {
                        guard var envelope = state.index[key] else { continue }
                        envelope.nextAttempt = now()
                        state.index.put(envelope)
                        count += 1
                    }
                    return count
                }
                logger.notice("administrator asked to retry \(id ?? "all messages"): \(count) message(s)")
                await done()
            case .delete(let id):
                // A message being delivered right now is dealt with on a later tick.
                let outcome = state.withLock { state -> Bool? in
                    if state.index.isInFlight(id) { return nil }
                    return state.index.remove(id) != nil
                }
                guard let removed = outcome else { continue }
                await done()
                if removed {
                    _ = try? await blocking.run { spool.remove(id) }
                    logger.notice("[\(id)] deleted from the queue by the administrator, no bounce sent")
                } else {
                    logger.warning("cannot delete \(id): no such queued message")
                }
            case .bounce(let id):
                let claimed = state.withLock { state -> Bool? in
                    if state.index.isInFlight(id) { return nil }
                    guard state.index[id] != nil else { return false }
                    state.index.claim(id)
                    return true
                }
                guard let claimed else { continue }
                await done()
                if claimed {
                    toBounce.append(id)
                } else {
                    logger.warning("cannot bounce \(id): no such queued message")
                }
            }
        }
        return toBounce
    }

    /// `sims queue bounce ID`: every pending recipient fails now, with a DSN.
    /// The caller has marked the message in flight.
    func administrativeBounce(_ id: String) async {
        guard var envelope = state.withLock({ $0.index[id] }) else { return }
        var logger = self.logger
        logger[metadataKey: "qid"] = "\(id)"
        var failed: [FailedRecipient] = []
        for index in envelope.recipients.indices where envelope.recipients[index].state == .pending {
            envelope.recipients[index].state = .failed
            envelope.recipients[index].status = "5.0.0"
            let address = envelope.recipients[index].address
            logger.notice("\(RecipientFate.bounced.line(address: address, "returned to the sender by the administrator"))")
            failed.append(FailedRecipient(
                address: address, action: "failed", status: "5.0.0", remoteHost: nil,
                diagnostic: "returned to the sender by the mail administrator"))
        }
        let spool = self.spool
        let message = (try? await blocking.run { try spool.message(id) }) ?? []
        await bounce(failed, of: envelope, message: message, logger: logger)
        await finish(envelope, logger: logger)
    }
}
