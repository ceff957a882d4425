import Foundation
import Logging
import MailStore
import NIOCore
import NIOSSL
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
    let timeout: TimeAmount
    let delivery: LocalDelivery
    /// Where a successful login opens relay for the client's address; nil when off.
    let popBeforeSMTP: PopBeforeSMTP?
}

/// Drives one POP3 session: lines to the `POP3Session` state machine, its
/// actions carried out against the Maildir. Deletions happen only when the
/// session commits at QUIT; a dropped connection deletes nothing.
struct POP3Connection {
    let services: POP3Services
    let channel: NIOAsyncChannel<SMTPInbound, ByteBuffer>
    let frame: NIOLoopBound<SMTPFrameHandler>
    let clientAddress: String
    let implicitTLS: Bool
    var logger: Logger

    /// The session's messages by uid, after login.
    final class Mailbox: @unchecked Sendable {
        var account: String?
        var messages: [String: MaildirMessage] = [:]
        var retrieved = 0
        var deleted = 0
    }

    func run() async {
        let mailbox = Mailbox()
        do {
            try await channel.executeThenClose { inbound, _ in
                try await converse(inbound, mailbox: mailbox)
            }
        } catch {
            logger.info("session ended: \(error)")
        }
        if let account = mailbox.account {
            services.locks.unlock(account)
            logger.info("logout \(account): retrieved \(mailbox.retrieved), deleted \(mailbox.deleted)")
        }
        logger.info("disconnected")
    }

    private func converse(_ inbound: NIOAsyncChannelInboundStream<SMTPInbound>, mailbox: Mailbox) async throws {
        var configuration = POP3SessionConfiguration(hostname: services.hostname)
        configuration.stlsAvailable = services.tls.current != nil && !implicitTLS
        configuration.plaintextAuthenticationAllowed = services.plaintextAllowed
        var session = POP3Session(configuration: configuration)
        let frame = self.frame
        _ = try await channel.channel.eventLoop.submit { frame.value.markGreeted() }.get()
        if implicitTLS { session.implicitTLSEstablished() }
        try await perform(session.greet(), &session, mailbox: mailbox)
        var awaitingTLS = false
        for try await element in inbound {
            switch element {
            case .tlsEstablished(let info):
                guard awaitingTLS else { continue }
                awaitingTLS = false
                session.tlsEstablished()
                logger.info("TLS established: \(info)")
            case .lines(let lines):
                if awaitingTLS { continue }
                for line in lines {
                    if line.overlong {
                        write("-ERR Line too long\r\n")
                        continue
                    }
                    let text = String(decoding: line.bytes.readableBytesView, as: UTF8.self)
                    logger.debug("< \(session.maskedForLogging(text))")
                    let action = session.receive(text, cleanEnding: line.isClean)
                    switch try await perform(action, &session, mailbox: mailbox) {
                    case .close: return
                    case .startTLS:
                        awaitingTLS = true
                    case .proceed: continue
                    }
                    if awaitingTLS { break }
                }
            }
        }
    }

    private enum Outcome { case proceed, close, startTLS }

    @discardableResult
    private func perform(_ first: POP3SessionAction, _ session: inout POP3Session, mailbox: Mailbox) async throws -> Outcome {
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
                guard let message = mailbox.messages[uid], let bytes = try? services.reader.read(message) else {
                    logger.warning("message \(uid) could not be read")
                    action = session.sendMessageFailed(uid: uid)
                    continue
                }
                let wire =
                    topLines.map { POP3MessageWire.topResponse(bytes, lines: $0) }
                    ?? POP3MessageWire.retrResponse(bytes, octets: message.octets)
                var buffer = channel.channel.allocator.buffer(capacity: wire.count)
                buffer.writeBytes(wire)
                channel.channel.writeAndFlush(buffer, promise: nil)
                return .proceed
            case .commit(let deleted, let retrieved):
                action = session.commitFinished(success: commit(deleted: deleted, retrieved: retrieved, mailbox: mailbox))
            }
        }
    }

    /// The login's outcome, or nil when the client is now banned.
    private func login(_ username: String, _ password: String, tls: Bool, mailbox: Mailbox) async -> POP3AuthenticationOutcome? {
        switch await services.credentials.check(username, password, from: clientAddress, logger: logger) {
        case .invalid: return .failure
        case .banned: return nil
        case .unavailable: return .temporaryFailure
        case .valid(let account, _):
            guard services.locks.lock(account) else {
                logger.notice("login of \(account) refused: mailbox in use by another session")
                return .inUse
            }
            mailbox.account = account
            do {
                let messages = try services.reader.messages(of: account)
                mailbox.messages = Dictionary(uniqueKeysWithValues: messages.map { ($0.uid, $0) })
                logger.notice("login \(account) (\(tls ? "TLS" : "no TLS")), \(messages.count) message(s)")
                if let popBeforeSMTP = services.popBeforeSMTP {
                    popBeforeSMTP.recordLogin(of: account, from: clientAddress)
                    logger.notice("pop-before-smtp: \(clientAddress) may relay as \(account) for \(popBeforeSMTP.windowText)")
                }
                return .success(
                    user: account, maildrop: Maildrop(messages: messages.map { .init(uid: $0.uid, octets: $0.octets) }))
            } catch {
                logger.error("maildrop of \(account) could not be read: \(error)")
                return .temporaryFailure
            }
        }
    }

    /// RFC 1939 § 6: the UPDATE state. Retrieved messages are marked seen
    /// (moved to cur/), deleted ones removed.
    private func commit(deleted: [String], retrieved: [String], mailbox: Mailbox) -> Bool {
        guard let account = mailbox.account else { return true }
        var success = true
        for uid in retrieved where !deleted.contains(uid) {
            guard let message = mailbox.messages[uid] else { continue }
            do { try services.reader.markSeen(message, of: account) } catch {
                logger.warning("could not mark \(uid) seen: \(error)")
            }
        }
        for uid in deleted {
            guard let message = mailbox.messages[uid] else { continue }
            do { try services.reader.delete(message) } catch {
                logger.error("could not delete \(uid): \(error)")
                success = false
            }
        }
        mailbox.retrieved = retrieved.count
        mailbox.deleted = deleted.count
        return success
    }

    private func write(_ text: String) {
        var buffer = channel.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        channel.channel.writeAndFlush(buffer, promise: nil)
    }

    private func startTLS(_ reply: String) async throws {
        guard let context = services.tls.current else { return }
        let channel = self.channel.channel
        let frame = self.frame
        try await channel.eventLoop.submit {
            var buffer = channel.allocator.buffer(capacity: reply.utf8.count)
            buffer.writeString(reply)
            channel.writeAndFlush(buffer, promise: nil)
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context), position: .first)
            frame.value.discardBufferedInput()
        }.get()
    }

}
