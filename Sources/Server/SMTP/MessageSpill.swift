import Foundation
import MailStore
import NIOCore

/// The text of one large message, written to a file as it arrives (the
/// session's `.spill` actions) so that a session holds at most about one
/// spill threshold of message text in memory.
///
/// The file is scratch: it is not synced, because the message is copied
/// into its durable places (Maildir, spool) at the end of DATA, and those
/// are synced before the 250. It lives in the spool's tmp/, which startup
/// empties, so a crash leaves nothing behind. Used by one connection task;
/// every file operation runs on the storage thread pool.
final class MessageSpill {
    let path: String
    private(set) var size = 0
    /// The first failure to write; the message is then answered 451/452.
    private(set) var failure: DeliveryError?
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Creates the file for the transaction `id`.
    static func create(in directory: String, id: String, using storage: LocalDelivery) async throws -> MessageSpill {
        let path = "\(directory)/incoming.\(id)"
        let descriptor = try await storage.run { () throws -> Int32 in
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw DurableFiles.error(errno, "open \(path)") }
            return fd
        }
        return MessageSpill(path: path, descriptor: descriptor)
    }

    /// Appends a chunk of message text. After a failure further chunks are
    /// dropped (the message will be refused with a temporary error anyway).
    func append(_ chunk: ByteBuffer, using storage: LocalDelivery) async {
        guard failure == nil else { return }
        let fd = descriptor
        let path = self.path
        do {
            try await storage.run {
                try chunk.withUnsafeReadableBytes { bytes in
                    guard let base = bytes.baseAddress else { return }
                    var offset = 0
                    while offset < bytes.count {
                        let written = write(fd, base + offset, bytes.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw DurableFiles.error(errno, "write \(path)")
                        }
                        offset += written
                    }
                }
            }
            size += chunk.readableBytes
        } catch let error as DeliveryError {
            failure = error
        } catch {
            failure = .ioError("\(error)")
        }
    }

    /// Closes and removes the file.
    func discard(using storage: LocalDelivery) async {
        let fd = descriptor
        let path = self.path
        _ = try? await storage.run {
            close(fd)
            unlink(path)
        }
    }
}

/// What a connection knows about the message it is receiving once the
/// message is large: the spill file, and what was read from the header
/// section in the first chunk. Used by the connection's task only.
final class IncomingMessage {
    private var spill: MessageSpill?
    private var startFailure: DeliveryError?
    /// The Message-ID found in the first chunk.
    var messageID: String?

    /// True from the first chunk until the message is delivered or refused.
    var isInUse: Bool { spill != nil || startFailure != nil }
    var path: String? { spill?.path }
    var size: Int { spill?.size ?? 0 }
    /// Why the text could not be kept; the message is then refused with 451/452.
    var failure: DeliveryError? { startFailure ?? spill?.failure }

    func start(in directory: String, id: String, using storage: LocalDelivery) async {
        do {
            spill = try await MessageSpill.create(in: directory, id: id, using: storage)
        } catch let error as DeliveryError {
            startFailure = error
        } catch {
            startFailure = .ioError("\(error)")
        }
    }

    func append(_ chunk: ByteBuffer, using storage: LocalDelivery) async {
        await spill?.append(chunk, using: storage)
    }

    /// Removes the file and forgets the message.
    func discard(using storage: LocalDelivery) async {
        await spill?.discard(using: storage)
        spill = nil
        startFailure = nil
        messageID = nil
    }
}
