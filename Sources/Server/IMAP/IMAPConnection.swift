import Foundation
import IMAPProtocol
import Logging
import MailCore
import MailStore
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The selected folder's UIDVALIDITY changed under the session (its
/// uidlist was rebuilt): RFC 9051 § 2.3.1.1 leaves the client to start over,
/// so the session ends, as Dovecot ends it.
struct UIDValidityChanged: Error {
    static let goodbye = "* BYE [UNAVAILABLE] Mailbox UIDVALIDITY changed, please reconnect\r\n"
}

/// Drives one IMAP session: bytes to the `IMAPCommandFramer`, commands to
/// the `IMAPSession` state machine, its mailbox commands carried out against
/// the account's Maildir (`MailboxStore`, on the storage pool).
///
/// Used by one task only; see `POP3Connection` for why that task runs on
/// the channel's own event loop.
final class IMAPConnection {
    let services: IMAPServices
    let channel: NIOAsyncChannel<ConnectionInbound, ByteBuffer>
    let frame: NIOLoopBound<LineFrameHandler>
    let timeouts: SessionTimeouts
    let clientAddress: String
    let implicitTLS: Bool
    let logger: Logger
    private let control: ConnectionControl
    private var unflushed = 0
    private var framer: IMAPCommandFramer
    /// The logged-in account's mail, and its selected folder.
    var store: MailboxStore?
    var account: String?
    var selected: SelectedFolder?
    /// Another session or a delivery changed the account's mail since the
    /// selected folder was last read.
    var changed = false
    /// The UIDs of the last `SEARCH RETURN (SAVE)` (RFC 5182 `$`).
    var savedSearch: [UInt32]?
    /// Set by `changingSelected`: the last change was this session's alone.
    var ownChangeAdopted = false
    /// When `refreshSelected` last looked at the folder's directories.
    var lastDiskCheck = ContinuousClock.now

    static let flushThreshold = 256 * 1024

    init(
        services: IMAPServices, channel: NIOAsyncChannel<ConnectionInbound, ByteBuffer>, frame: NIOLoopBound<LineFrameHandler>,
        timeouts: SessionTimeouts, clientAddress: String, implicitTLS: Bool, logger: Logger
    ) {
        self.services = services
        self.channel = channel
        self.frame = frame
        self.timeouts = timeouts
        self.clientAddress = clientAddress
        self.implicitTLS = implicitTLS
        self.logger = logger
        framer = IMAPCommandFramer(limits: services.limits)
        control = ConnectionControl(channel: channel.channel, goodbye: "* BYE \(services.hostname) shutting down\r\n")
    }

    func run() async {
        let control = self.control
        do {
            try await withGracefulShutdownHandler {
                try await channel.executeThenClose { inbound, _ in
                    try await converse(inbound)
                }
            } onGracefulShutdown: {
                control.requestShutdown()
            }
        } catch {
            logger.info("session ended: \(error)")
        }
        if let account { services.notifier.unregister(channel.channel, account: account) }
        logger.info("disconnected")
    }

    private func converse(_ inbound: NIOAsyncChannelInboundStream<ConnectionInbound>) async throws {
        var configuration = IMAPSessionConfiguration(hostname: services.hostname)
        configuration.startTLSAvailable = services.tls.current != nil && !implicitTLS
        configuration.plaintextAllowed = services.plaintextAllowed
        var session = IMAPSession(configuration: configuration, implicitTLS: implicitTLS)
        let frame = self.frame
        _ = try await channel.channel.eventLoop.submit { frame.value.markGreeted() }.get()
        _ = try await perform(session.greet(), &session)
        try await flush()
        var awaitingTLS = false
        for try await element in inbound {
            switch element {
            case .tlsEstablished(let info):
                guard awaitingTLS else { continue }
                awaitingTLS = false
                session.tlsEstablished()
                logger.info("TLS established: \(info)")
            case .lines:
                continue
            case .mailboxChanged:
                // Taken before the folder is read: a change after this point sends a new notice.
                if let account { services.notifier.taken(by: channel.channel, account: account) }
                changed = true
                if session.isIdling {
                    do {
                        if let update = try await refreshDuringIdle() { write(update) }
                    } catch is UIDValidityChanged {
                        write(UIDValidityChanged.goodbye)
                        try await flush()
                        return
                    }
                    try await flush()
                }
            case .bytes(let buffer):
                if awaitingTLS { continue }
                // Before login a literal is at most a user name or password.
                framer.limits.maximumLiteralSize = session.user == nil ? 8192 : services.limits.maximumLiteralSize
                for event in framer.feed(buffer.readableBytesView) {
                    if case .command(let text) = event {
                        timeouts.lineCompleted(at: .now())
                        logger.debug("< \(LogField.text(IMAPDialogueLog.describe(text, session: session)))")
                    }
                    switch try await perform(session.receive(event), &session) {
                    case .close:
                        try await flush()
                        return
                    case .startTLS:
                        // Whatever came after STARTTLS in plaintext is dropped (RFC 9051 § 11.1).
                        framer = IMAPCommandFramer(limits: services.limits)
                        awaitingTLS = true
                    case .proceed:
                        if unflushed >= Self.flushThreshold { try await flush() }
                    }
                    if awaitingTLS { break }
                }
                try await flush()
            }
        }
    }

    enum Outcome { case proceed, close, startTLS }

    private func perform(_ first: IMAPSessionAction, _ session: inout IMAPSession) async throws -> Outcome {
        var action = first
        while true {
            switch action {
            case .none:
                return .proceed
            case .send(let text):
                write(text)
                return .proceed
            case .sendAndClose(let text):
                write(text)
                return .close
            case .startTLS(let text):
                guard let context = services.tls.current else { return .close }
                try await flush()
                try await frame.startTLS(on: channel.channel, context: context, reply: text)
                return .startTLS
            case .authenticate(let username, let password):
                guard let outcome = await login(username, password, tls: session.tlsActive) else {
                    write("* BYE [ALERT] Too many authentication failures, closing connection\r\n")
                    return .close
                }
                action = session.authenticationFinished(outcome)
            case .mailbox(let tag, let command):
                let selectedAfter: String?
                do {
                    selectedAfter = try await execute(command, tag: tag, session: session)
                } catch let error as MailboxStoreError {
                    if case .io(let text) = error { logger.error("\(command.name) failed: \(LogField.text(text))") }
                    write(Self.reply(to: error, tag: tag, command: command))
                    selectedAfter = selected?.view.name
                } catch is UIDValidityChanged {
                    write(UIDValidityChanged.goodbye)
                    return .close
                } catch let error as ChannelError {
                    throw error
                } catch {
                    // The storage pool stopped (shutdown) or an unexpected file error:
                    // the client hears NO, the session goes on.
                    logger.error("\(command.name) failed: \(error)")
                    write("\(tag) NO [SERVERBUG] Internal error, see the server log\r\n")
                    selectedAfter = selected?.view.name
                }
                if selectedAfter == nil { selected = nil }
                session.mailboxCommandFinished(selected: selectedAfter)
                return .proceed
            case .endIdle(let tag, let bad):
                do {
                    if let update = try await refreshDuringIdle() { write(update) }
                } catch {
                    write(UIDValidityChanged.goodbye)
                    return .close
                }
                write(bad ?? "\(tag) OK IDLE terminated\r\n")
                return .proceed
            }
        }
    }

    /// The login's outcome, or nil when the client is now banned.
    private func login(_ username: String, _ password: String, tls: Bool) async -> IMAPAuthenticationOutcome? {
        switch await services.credentials.check(
            username, password, from: clientAddress, session: ObjectIdentifier(channel.channel), logger: logger)
        {
        case .invalid: return .failure
        case .banned: return nil
        case .unavailable: return .temporaryFailure
        case .valid(let account, _):
            guard services.notifier.register(channel.channel, account: account, limit: services.maximumSessionsPerAccount)
            else {
                logger.notice(
                    "login of \(LogField.word(account)) refused: \(services.maximumSessionsPerAccount) IMAP sessions already open"
                )
                return .tooManySessions
            }
            self.account = account
            let store = MailboxStore(
                maildir: services.layout.maildirPath(for: account), sync: services.sync, locks: services.folderLocks)
            self.store = store
            do {
                // At the first login: the Maildir and the special-use folders (RFC 6154).
                let layout = services.layout
                let created = try await services.delivery.run {
                    try layout.createMaildir(for: account)
                    return try store.createSpecialUseFolders()
                }
                if !created.isEmpty {
                    logger.info("created folders \(created.joined(separator: ", ")) for \(LogField.word(account))")
                }
            } catch {
                logger.error("Maildir of \(LogField.word(account)) could not be prepared: \(error)")
                return .temporaryFailure
            }
            logger.notice("login \(LogField.word(account)) (\(tls ? "TLS" : "no TLS"))")
            return .success(user: account)
        }
    }

    // MARK: Output

    func write(_ text: String) {
        var buffer = channel.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        write(buffer)
    }

    func write(_ bytes: [UInt8]) {
        var buffer = channel.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        write(buffer)
    }

    func write(_ buffer: ByteBuffer) {
        unflushed += buffer.readableBytes
        channel.channel.write(buffer, promise: nil)
    }

    /// Sends what is queued; when the client does not read, waits until it
    /// has (see `POP3Connection.flush`).
    func flush() async throws {
        guard unflushed > 0 else { return }
        unflushed = 0
        channel.channel.flush()
        if !channel.channel.isWritable { try await channel.channel.writeAndFlush(ByteBuffer()).get() }
    }

    /// Flushes once a large response has piled up (FETCH of many bodies).
    func flushIfLarge() async throws {
        if unflushed >= Self.flushThreshold { try await flush() }
    }
}
