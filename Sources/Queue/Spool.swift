import Foundation
import MailStore

/// The durable outbound queue on disk:
///
///     queue/messages/ID         the message, written once
///     queue/envelopes/ID.json   sender, recipients and their states, next attempt
///     queue/tmp/                files being written
///     queue/control/            requests from `sims queue` to the running server
///     queue/quarantine/         entries found damaged or surprising at startup, kept for a person
///
/// A message is queued when its envelope file exists: the message file is
/// made durable first, then the envelope is renamed into place and the
/// renames are made durable, and only then may the SMTP server say 250.
/// After a crash, an envelope without a message cannot exist, and a message
/// without an envelope is a leftover of an unacknowledged transaction and is
/// removed at startup.
public struct Spool: Sendable {
    public let root: String
    let files: DurableFiles

    public init(root: String, sync: SyncMode) throws {
        self.root = root
        files = DurableFiles(sync: sync)
        for sub in ["messages", "envelopes", "tmp", "control", "quarantine"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
    }

    func messagePath(_ id: String) -> String { "\(root)/messages/\(id)" }
    func envelopePath(_ id: String) -> String { "\(root)/envelopes/\(id).json" }
    var controlDirectory: String { "\(root)/control" }

    /// Stores a new message durably. Returns only when both files are on
    /// stable storage.
    public func enqueue(_ message: [UInt8], envelope: QueuedMessage) throws(DeliveryError) {
        try enqueue(MessageContent(message), envelope: envelope)
    }

    /// Stores a new message durably from its parts (see `MessageContent`).
    public func enqueue(_ message: MessageContent, envelope: QueuedMessage) throws(DeliveryError) {
        BlockingWork.assertMayBlock("Spool.enqueue")
        let tmpMessage = "\(root)/tmp/\(envelope.id).msg"
        let tmpEnvelope = "\(root)/tmp/\(envelope.id).json"
        let encoded: [UInt8]
        do { encoded = Array(try Self.encoder.encode(envelope)) } catch { throw .ioError("encode envelope: \(error)") }
        do throws(DeliveryError) {
            try files.writeNewFiles([(message, tmpMessage), (MessageContent(encoded), tmpEnvelope)])
            try move(tmpMessage, to: messagePath(envelope.id))
            try move(tmpEnvelope, to: envelopePath(envelope.id))
            try files.syncDirectories(["\(root)/messages", "\(root)/envelopes"])
        } catch {
            unlink(tmpMessage)
            unlink(tmpEnvelope)
            unlink(envelopePath(envelope.id))
            unlink(messagePath(envelope.id))
            throw error
        }
    }

    /// Replaces an envelope after a delivery attempt (atomic rename). A crash
    /// that loses this update only makes the next attempt repeat the last one:
    /// at least once, never zero times.
    public func update(_ envelope: QueuedMessage) throws(DeliveryError) {
        BlockingWork.assertMayBlock("Spool.update")
        let tmp = "\(root)/tmp/\(envelope.id).\(UInt32.random(in: 0...UInt32.max)).json"
        let encoded: [UInt8]
        do { encoded = Array(try Self.encoder.encode(envelope)) } catch { throw .ioError("encode envelope: \(error)") }
        try files.writeNewFile(encoded, to: tmp)
        do throws(DeliveryError) {
            try move(tmp, to: envelopePath(envelope.id))
        } catch {
            unlink(tmp)
            throw error
        }
    }

    /// Removes a finished message: envelope first, so that a crash in between
    /// leaves an orphan message file (removed at startup), never an envelope
    /// pointing at nothing.
    public func remove(_ id: String) {
        BlockingWork.assertMayBlock("Spool.remove")
        unlink(envelopePath(id))
        unlink(messagePath(id))
    }

    /// The queued envelopes as they are on disk, oldest first (for `sims queue list`).
    public func listing() throws -> [QueuedMessage] {
        BlockingWork.assertMayBlock("Spool.listing")
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(root)/envelopes").filter { $0.hasSuffix(".json") }
        return names.compactMap { try? envelope(String($0.dropLast(5))) }.sorted { $0.created < $1.created }
    }

    public func message(_ id: String) throws -> [UInt8] {
        BlockingWork.assertMayBlock("Spool.message")
        return Array(try Data(contentsOf: URL(fileURLWithPath: messagePath(id))))
    }

    public func envelope(_ id: String) throws -> QueuedMessage {
        BlockingWork.assertMayBlock("Spool.envelope")
        return try Self.decoder.decode(QueuedMessage.self, from: Data(contentsOf: URL(fileURLWithPath: envelopePath(id))))
    }

    /// Every queued envelope; cleans up what a crash left behind.
    public func recover() throws -> (envelopes: [QueuedMessage], problems: [RecoveryNote]) {
        BlockingWork.assertMayBlock("Spool.recover")
        var problems: [RecoveryNote] = []
        let manager = FileManager.default
        for leftover in (try? manager.contentsOfDirectory(atPath: "\(root)/tmp")) ?? [] {
            unlink("\(root)/tmp/\(leftover)")
        }
        var envelopes: [QueuedMessage] = []
        var ids = Set<String>()
        for name in try manager.contentsOfDirectory(atPath: "\(root)/envelopes") where name.hasSuffix(".json") {
            let id = String(name.dropLast(5))
            var envelope: QueuedMessage
            do {
                envelope = try self.envelope(id)
            } catch {
                problems.append(.failure("\(id): unreadable envelope, \(quarantine(id)) (\(Self.describe(error)))"))
                continue
            }
            if let problem = SpoolEntryCheck.problem(with: envelope, fileID: id) {
                problems.append(.failure("\(id): \(problem), \(quarantine(id))"))
                continue
            }
            guard manager.fileExists(atPath: messagePath(id)) else {
                problems.append(.failure("\(id): envelope without message, removed"))
                unlink(envelopePath(id))
                continue
            }
            let (merged, duplicates) = SpoolEntryCheck.mergingDuplicates(envelope)
            if duplicates > 0 {
                envelope = merged
                problems.append(.repair("\(id): \(duplicates) duplicate recipient(s) merged"))
                try? update(envelope)
            }
            envelopes.append(envelope)
            ids.insert(id)
        }
        for name in try manager.contentsOfDirectory(atPath: "\(root)/messages") where !ids.contains(name) {
            if manager.fileExists(atPath: envelopePath(name)) { continue }  // being quarantined: keep both
            unlink(messagePath(name))
            problems.append(.repair("\(name): message without envelope (never acknowledged), removed"))
        }
        return (envelopes.sorted { $0.created < $1.created }, problems)
    }

    /// What recovery did about one entry, for the log.
    public struct RecoveryNote: Sendable, Equatable, CustomStringConvertible {
        public let description: String
        /// Mail that cannot be delivered as it is (quarantined, removed):
        /// a failure for the log. Otherwise a routine repair.
        public let isFailure: Bool

        static func failure(_ text: String) -> RecoveryNote { RecoveryNote(description: text, isFailure: true) }
        static func repair(_ text: String) -> RecoveryNote { RecoveryNote(description: text, isFailure: false) }
    }

    /// Moves an entry's envelope and message out of the way, into
    /// quarantine/ where a person can look at them; says what was done.
    func quarantine(_ id: String) -> String {
        let target = "\(root)/quarantine"
        let envelopeMoved = rename(envelopePath(id), "\(target)/\(id).json") == 0
        let messageMoved = rename(messagePath(id), "\(target)/\(id)") == 0
        guard envelopeMoved else {
            // It cannot even be moved: take it out of the runner's sight.
            unlink(envelopePath(id))
            return "removed (could not be moved to quarantine/)"
        }
        return messageMoved ? "moved to quarantine/" : "envelope moved to quarantine/ (no message file)"
    }

    /// An error in a line, without the library's internals.
    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.keyNotFound(_, let context),
            DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    private func move(_ from: String, to: String) throws(DeliveryError) {
        if rename(from, to) != 0 { throw DurableFiles.error(errno, "rename \(from)") }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
