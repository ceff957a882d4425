import Foundation
import Logging
import MailCore
import MailStore
import NIOCore
import NIOSSL
import Policy
import POP3Protocol
import SMTPProtocol
import ServiceLifecycle

/// What every POP3 connection shares.
struct POP3Services: Sendable {
    let hostname: String
    let reader: MaildirReader
    let credentials: CredentialCheck
    let locks: MailboxLocks
    let tls: ServerTLS
    let plaintextAllowed: Bool
    /// Command timeout (`pop3.timeout`) and the session limits.
    let timeouts: SessionTimeouts.Settings
    let delivery: LocalDelivery
    /// Where a successful login opens relay for the client's address; nil when off.
    let popBeforeSMTP: PopBeforeSMTP?
    /// This host's default gateways: a login from one opens no relay window
    /// (behind a masquerading port forward it stands for every outside client).
    var gateways = GatewayAddresses()
}

/// Drives one POP3 session: lines to the `POP3Session` state machine, its
/// actions carried out against the Maildir. Deletions happen only when the
/// session commits at QUIT; a dropped connection deletes nothing.
///
/// Used by one task only. In the server NIO is Swift's global executor, and
/// it keeps a task on the event loop that resumed it: this code then runs on
/// the channel's own loop, so a command is answered without a thread switch
/// (RETR reads a small file inline, as Dovecot does). Slow storage work (the
/// listing at login, the UPDATE state, very large messages) goes to the
/// storage thread pool instead.
final class POP3Connection {
    let services: POP3Services
    let channel: NIOAsyncChannel<ConnectionInbound, ByteBuffer>
    let frame: NIOLoopBound<LineFrameHandler>
    let clientAddress: String
    let implicitTLS: Bool
    let logger: Logger
    /// Bytes written since the last flush.
    private var unflushed = 0
    /// Says goodbye on shutdown, after the UPDATE state if one is running.
    private let control: ConnectionControl

    /// Replies are flushed at the end of each batch of pipelined commands,
    /// or sooner once this much is waiting.
    static let flushThreshold = 256 * 1024
    /// Messages up to this size may be read inline when the page cache holds
    /// them (never waiting for the disk); larger ones always on the pool.
    static let inlineMessageLimit = 1 << 20
    /// Messages up to this size are read and converted inline; larger ones
    /// on the storage pool.
    init(
        services: POP3Services, channel: NIOAsyncChannel<ConnectionInbound, ByteBuffer>, frame: NIOLoopBound<LineFrameHandler>,
        clientAddress: String, implicitTLS: Bool, logger: Logger
    ) {
        self.services = services
        self.channel = channel
        self.frame = frame
        self.clientAddress = clientAddress
        self.implicitTLS = implicitTLS
        self.logger = logger
        control = ConnectionControl(
            channel: channel.channel, goodbye: "-ERR [SYS/TEMP] \(services.hostname) shutting down, try again later\r\n")
    }

    func run() async {
        let mailbox = POP3Mailbox()
        let control = self.control
        do {
            try await withGracefulShutdownHandler {
                try await channel.executeThenClose { inbound, _ in
                    try await converse(inbound, mailbox: mailbox)
                }
            } onGracefulShutdown: {
                control.requestShutdown()
            }
        } catch {
            logger.info("session ended: \(error)")
        }
        // Every way out but QUIT in the TRANSACTION state, which released it already.
        mailbox.releaseLock(services.locks, logger: logger)
        logger.info("disconnected")
    }

    private func converse(_ inbound: NIOAsyncChannelInboundStream<ConnectionInbound>, mailbox: POP3Mailbox) async throws {
        var configuration = POP3SessionConfiguration(hostname: services.hostname)
        configuration.stlsAvailable = services.tls.current != nil && !implicitTLS
        configuration.plaintextAuthenticationAllowed = services.plaintextAllowed
        var session = POP3Session(configuration: configuration)
        let frame = self.frame
        _ = try await channel.channel.eventLoop.submit { frame.value.markGreeted() }.get()
        if implicitTLS { session.implicitTLSEstablished() }
        try await perform(session.greet(), &session, mailbox: mailbox)
        try await flush()
        var awaitingTLS = false
        for try await element in inbound {
            switch element {
            case .tlsEstablished(let info):
                guard awaitingTLS else { continue }
                awaitingTLS = false
                session.tlsEstablished()
                logger.info("TLS established: \(info)")
            case .bytes, .mailboxChanged:
                continue  // IMAP only
            case .lines(let lines):
                if awaitingTLS { continue }
                for line in lines {
                    if line.overlong {
                        write("-ERR Line too long\r\n")
                        continue
                    }
                    let text = String(decoding: line.bytes.readableBytesView, as: UTF8.self)
                    logger.debug("< \(LogField.text(session.maskedForLogging(text)))")
                    let action = session.receive(text, cleanEnding: line.isClean)
                    switch try await perform(action, &session, mailbox: mailbox) {
                    case .close:
                        try await flush()
                        return
                    case .startTLS:
                        awaitingTLS = true
                    case .proceed:
                        if unflushed >= Self.flushThreshold, !flushNow() { try await drain() }
                    }
                    if awaitingTLS { break }
                }
                if !flushNow() { try await drain() }
            }
        }
    }

    private enum Outcome { case proceed, close, startTLS }

    @discardableResult
    private func perform(_ first: POP3SessionAction, _ session: inout POP3Session, mailbox: POP3Mailbox) async throws -> Outcome {
        var action = first
        while true {
            switch action {
            case .none:
                return .proceed
            case .reply(let text):
                write(text)
                return .proceed
            case .replyAndClose(let text):
                write(text)
                return .close
            case .startTLS(let text):
                try await startTLS(text)
                return .startTLS
            case .authenticate(let username, let password):
                guard let outcome = await login(username, password, tls: session.tlsActive, mailbox: mailbox) else {
                    // Banned by the brute-force guard: this session ends too,
                    // like SMTP's 421 (new connections are refused at once).
                    write("-ERR [AUTH] Too many authentication failures, closing connection\r\n")
                    return .close
                }
                action = session.authenticationFinished(outcome)
            case .sendMessage(let uid, let topLines):
                guard let response = await messageResponse(uid: uid, topLines: topLines, mailbox: mailbox) else {
                    logger.warning("message \(uid) could not be read")
                    action = session.sendMessageFailed(uid: uid)
                    continue
                }
                write(response)
                return .proceed
            case .commit(let deleted, let retrieved):
                // A shutdown waits for the UPDATE state and its +OK.
                _ = control.setBusyWithMessage(true)
                let success = await commit(deleted: deleted, retrieved: retrieved, mailbox: mailbox)
                // Before the sign-off is sent: a client that reconnects as
                // soon as it reads +OK finds the mailbox free, even while
                // this connection is still closing (over TLS, closing waits
                // for the client's close_notify).
                mailbox.releaseLock(services.locks, logger: logger)
                action = session.commitFinished(success: success)
            }
        }
    }

    /// The login's outcome, or nil when the client is now banned.
    private func login(
        _ username: String, _ password: String, tls: Bool, mailbox: POP3Mailbox
    ) async -> POP3AuthenticationOutcome? {
        switch await services.credentials.check(
            username, password, from: clientAddress, session: ObjectIdentifier(channel.channel), logger: logger)
        {
        case .invalid: return .failure
        case .banned: return nil
        case .unavailable: return .temporaryFailure
        case .valid(let account, _):
            guard services.locks.lock(account) else {
                logger.notice("login of \(LogField.word(account)) refused: mailbox in use by another session")
                return .inUse
            }
            mailbox.lockedAccount = account
            do {
                // Listing thousands of files: on the storage pool, not the event loop.
                let reader = services.reader
                // POP-before-SMTP records the login with the account's
                // credential stamp from the directory's in-memory snapshot:
                // bring that up to date here, off the event loop.
                let directory = services.popBeforeSMTP == nil ? nil : services.credentials.directory
                let messages = try await services.delivery.run {
                    try? directory?.refresh()
                    return try reader.messages(of: account)
                }
                // The reader gives every message its own uid; should two ever
                // share one, the first is kept rather than trapping.
                mailbox.messages = Dictionary(messages.map { ($0.uid, $0) }, uniquingKeysWith: { first, _ in first })
                logger.notice("login \(LogField.word(account)) (\(tls ? "TLS" : "no TLS")), \(messages.count) message(s)")
                if let popBeforeSMTP = services.popBeforeSMTP {
                    if let address = IPAddress(clientAddress), services.gateways.current.contains(address) {
                        // RelayDecision refuses it anyway; the log must not promise otherwise.
                        logger.notice(
                            "pop-before-smtp: \(clientAddress) is this host's default gateway (behind NAT every outside client appears as it): the login opens no relay window"
                        )
                    } else {
                        popBeforeSMTP.recordLogin(of: account, from: clientAddress)
                        logger.notice("pop-before-smtp: \(clientAddress) may relay as \(LogField.word(account)) for \(popBeforeSMTP.windowText)")
                    }
                }
                return .success(
                    user: account, maildrop: Maildrop(messages: messages.map { .init(uid: $0.uid, octets: $0.octets) }))
            } catch {
                logger.error("maildrop of \(LogField.word(account)) could not be read: \(error)")
                return .temporaryFailure
            }
        }
    }

    /// RFC 1939 § 6: the UPDATE state. Retrieved messages are marked seen
    /// (moved to cur/), deleted ones removed, on the storage pool (thousands
    /// of renames must not stall an event loop).
    private func commit(deleted: [String], retrieved: [String], mailbox: POP3Mailbox) async -> Bool {
        guard let account = mailbox.lockedAccount else { return true }
        let deletedUIDs = Set(deleted)
        let toMark = retrieved.filter { !deletedUIDs.contains($0) }.compactMap { mailbox.messages[$0] }
        let toDelete = deleted.compactMap { mailbox.messages[$0] }
        let reader = services.reader
        let logger = self.logger
        let success: Bool
        do {
            success = try await services.delivery.run {
                for message in toMark {
                    do { try reader.markSeen(message, of: account) } catch {
                        logger.warning("could not mark \(message.uid) seen: \(error)")
                    }
                }
                var success = true
                for message in toDelete {
                    do { try reader.delete(message) } catch {
                        logger.error("could not delete \(message.uid): \(error)")
                        success = false
                    }
                }
                return success
            }
        } catch {
            logger.error("update of \(LogField.word(account)) failed: \(error)")
            success = false
        }
        mailbox.retrieved = retrieved.count
        mailbox.deleted = deleted.count
        return success
    }

    /// RETR's or TOP's response, or nil when the file cannot be read. The
    /// file is read on the storage pool, into the session's scratch buffer
    /// (lent for the read, so thousands of RETRs allocate once).
    private func messageResponse(uid: String, topLines: Int?, mailbox: POP3Mailbox) async -> ByteBuffer? {
        guard let message = mailbox.messages[uid] else { return nil }
        let allocator = channel.channel.allocator
        let reader = services.reader
        let scratch = mailbox.scratch
        defer { mailbox.trimScratch() }
        // A message the page cache holds is read here, without waiting for
        // the disk; any other goes to the storage pool.
        if message.octets <= Self.inlineMessageLimit, let count = reader.readIfCached(message, into: &scratch.bytes) {
            return Self.response(message, topLines: topLines, scratch: scratch.bytes, count: count, allocator: allocator)
        }
        return try? await services.delivery.run {
            let count = try reader.read(message, into: &scratch.bytes)
            return Self.response(message, topLines: topLines, scratch: scratch.bytes, count: count, allocator: allocator)
        }
    }

    private static func response(
        _ message: MaildirMessage, topLines: Int?, scratch: [UInt8], count: Int, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        scratch.withUnsafeBytes { bytes in
            let content = UnsafeRawBufferPointer(rebasing: bytes[..<count])
            guard let topLines else {
                var buffer = allocator.buffer(capacity: message.octets + message.octets / 32 + 32)
                POP3MessageWire.writeRetrResponse(content, octets: message.octets, into: &buffer)
                return buffer
            }
            let wire = POP3MessageWire.topResponse(Array(content), lines: topLines)
            var buffer = allocator.buffer(capacity: wire.count)
            buffer.writeBytes(wire)
            return buffer
        }
    }

    /// Queues a reply; `flush()` sends what is queued. Replies to pipelined
    /// commands (RFC 2449 § 6.6) thus leave in one write, while a client that
    /// sends one command at a time still gets each reply at once (its batch
    /// is that one line).
    private func write(_ text: String) {
        var buffer = channel.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        write(buffer)
    }

    private func write(_ buffer: ByteBuffer) {
        unflushed += buffer.readableBytes
        channel.channel.write(buffer, promise: nil)
    }

    /// Sends what is queued. When the client does not read (its replies pile
    /// up past the channel's high-water mark), waits until they are written:
    /// a client that pipelines a thousand RETRs and reads nothing then holds
    /// one message in our memory, not a thousand. The wait is a separate
    /// async call, made only then: an async call hops executors, which cost
    /// more per command than the rest of a short reply.
    private func flush() async throws {
        if !flushNow() { try await drain() }
    }

    /// Sends what is queued; false when the output is backed up.
    private func flushNow() -> Bool {
        guard unflushed > 0 else { return true }
        unflushed = 0
        channel.channel.flush()
        return channel.channel.isWritable
    }

    /// Returns once everything written so far has left (an empty write
    /// completes after every write before it).
    private func drain() async throws {
        try await channel.channel.writeAndFlush(ByteBuffer()).get()
    }

    private func startTLS(_ reply: String) async throws {
        guard let context = services.tls.current else { return }
        try await flush()
        try await frame.startTLS(on: channel.channel, context: context, reply: reply)
    }
}
