import Logging
import NIOCore
import Policy

/// Letting a mail reader (POP3, IMAP) in, the one way: its session is
/// registered with the ban list first (a ban decided meanwhile still ends
/// it), a banned address or a full server is refused with the protocol's
/// words, an idle session may be closed to make room, and the connection
/// slot is released when the session ends.
enum ReaderAdmission {
    /// What the protocol says in each case (complete lines, CRLF included).
    struct Texts {
        /// To a banned address that connects.
        var banned: String
        /// To an open session whose address was just banned.
        var bannedDuringSession: String
        var busy: String
        var evicted: String
    }

    static func serve(
        _ connection: NIOAsyncChannel<ConnectionInbound, ByteBuffer>, peer: String, timeouts: SessionTimeouts,
        limiter: ConnectionLimiter, authGuard: AuthenticationGuard, texts: Texts, logger: Logger,
        session: () async -> Void
    ) async {
        let channel = connection.channel
        let sessionID = ObjectIdentifier(channel)
        authGuard.openSessions.open(sessionID, from: peer) { [logger] in
            logger.notice("closing session: address banned after authentication failures")
            channel.closeSaying(texts.bannedDuringSession)
        }
        defer { authGuard.openSessions.close(sessionID, from: peer) }
        var refusal: String?
        var ticket: UInt64 = 0
        if authGuard.banned(peer) != nil {
            refusal = texts.banned
        } else {
            let admission = limiter.admit(peer, timeouts: timeouts) { [logger] in
                logger.notice("closed: idle while every connection slot is taken, to make room for a new client")
                channel.closeSaying(texts.evicted)
            }
            if case .admitted(let admitted) = admission {
                ticket = admitted
            } else {
                refusal = texts.busy
            }
        }
        if let refusal {
            logger.notice("refused connection: \(refusal.trimmingCharacters(in: .whitespacesAndNewlines))")
            await connection.refuse(with: refusal)
            return
        }
        defer { limiter.release(ticket, address: peer) }
        await session()
    }
}
