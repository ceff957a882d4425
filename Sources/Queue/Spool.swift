import Foundation
import MailStore

/// The durable outbound queue on disk:
///
///     queue/messages/ID         the message, written once
///     queue/envelopes/ID.json   sender, recipients and their states, next attempt
///     queue/tmp/                files being written
///     queue/control/            requests from `sims queue` to the running server
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
        for sub in ["messages", "envelopes", "tmp", "control"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
    }

    func messagePath(_ id: String) -> String { "\(root)/messages/\(id)" }
    func envelopePath(_ id: String) -> String { "\(root)/envelopes/\(id).json" }
    var controlDirectory: String { "\(root)/control" }

    /// Stores a new message durably. Returns only when both files are on
    /// stable storage.
    public func enqueue(_ message: [UInt8], envelope: QueuedMessage) throws(DeliveryError) {
        let tmpMessage = "\(root)/tmp/\(envelope.id).msg"
        let tmpEnvelope = "\(root)/tmp/\(envelope.id).json"
        let encoded: [UInt8]
        do { encoded = Array(try Self.encoder.encode(envelope)) } catch { throw .ioError("encode envelope: \(error)") }
        do throws(DeliveryError) {
            try files.writeNewFiles([(message, tmpMessage), (encoded, tmpEnvelope)])
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
        unlink(envelopePath(id))
        unlink(messagePath(id))
    }

    /// The queued envelopes as they are on disk, oldest first (for `sims queue list`).
    public func listing() throws -> [QueuedMessage] {
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(root)/envelopes").filter { $0.hasSuffix(".json") }
        return names.compactMap { try? envelope(String($0.dropLast(5))) }.sorted { $0.created < $1.created }
    }

    public func message(_ id: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: messagePath(id))))
    }

    public func envelope(_ id: String) throws -> QueuedMessage {
        try Self.decoder.decode(QueuedMessage.self, from: Data(contentsOf: URL(fileURLWithPath: envelopePath(id))))
    }

    /// Every queued envelope; cleans up what a crash left behind.
    public func recover() throws -> (envelopes: [QueuedMessage], problems: [String]) {
        var problems: [String] = []
        let manager = FileManager.default
        for leftover in (try? manager.contentsOfDirectory(atPath: "\(root)/tmp")) ?? [] {
            unlink("\(root)/tmp/\(leftover)")
        }
        var envelopes: [QueuedMessage] = []
        var ids = Set<String>()
        for name in try manager.contentsOfDirectory(atPath: "\(root)/envelopes") where name.hasSuffix(".json") {
            let id = String(name.dropLast(5))
            do {
                let envelope = try envelope(id)
                guard manager.fileExists(atPath: messagePath(id)) else {
                    problems.append("\(id): envelope without message, removed")
                    unlink(envelopePath(id))
                    continue
                }
                envelopes.append(envelope)
                ids.insert(id)
            } catch {
                problems.append("\(id): unreadable envelope (\(error)), left in place")
            }
        }
        for name in try manager.contentsOfDirectory(atPath: "\(root)/messages") where !ids.contains(name) {
            if manager.fileExists(atPath: envelopePath(name)) { continue }  // unreadable envelope: keep both
            unlink(messagePath(name))
            problems.append("\(name): message without envelope (never acknowledged), removed")
        }
        return (envelopes.sorted { $0.created < $1.created }, problems)
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
