import NIOConcurrencyHelpers
import NIOCore

/// Counts open connections, in total and per client address, so that one
/// client (or a flood) cannot take every session slot.
///
/// Many clients can still fill every slot with sessions that say nothing
/// (a thousand idle connections from forty addresses). So when the total is
/// reached, a new client does not get a refusal while some session has
/// been idle (no complete line, not in DATA) for at least `idleEviction`:
/// the one idle the longest is closed to make room.
final class ConnectionLimiter: Sendable {
    enum Admission: Equatable {
        /// Admitted; pass the ticket to `release` when the session ends.
        case admitted(UInt64)
        case tooManyInTotal
        case tooManyFromAddress
    }

    /// How to end an admitted session early (it then releases its ticket as usual).
    typealias Closer = @Sendable () -> Void

    private struct Session {
        var address: String
        var timeouts: SessionTimeouts
        var close: Closer
    }

    private struct Counts {
        var total = 0
        var perAddress: [String: Int] = [:]
        var sessions: [UInt64: Session] = [:]
        var nextTicket: UInt64 = 0
    }

    private let maximumTotal: Int
    private let maximumPerAddress: Int
    /// Sessions idle this long may be closed for a new client when every
    /// slot is taken; zero never closes one.
    private let idleEviction: Duration
    private let counts = NIOLockedValueBox(Counts())

    init(maximumTotal: Int, maximumPerAddress: Int, idleEviction: Duration = .seconds(10)) {
        self.maximumTotal = maximumTotal
        self.maximumPerAddress = maximumPerAddress
        self.idleEviction = idleEviction
    }

    /// Admits a connection and counts it; every `.admitted` must be paired
    /// with one `release`. `close` ends the session should its slot be
    /// needed while it idles.
    func admit(
        _ address: String, timeouts: SessionTimeouts, now: NIODeadline = .now(), close: @escaping Closer
    ) -> Admission {
        let (admission, evicted) = counts.withLockedValue { counts -> (Admission, Closer?) in
            let current = counts.perAddress[address, default: 0]
            if current >= maximumPerAddress { return (.tooManyFromAddress, nil) }
            var evicted: Closer?
            if counts.total >= maximumTotal {
                guard let (ticket, session) = longestIdle(in: counts.sessions, now: now) else { return (.tooManyInTotal, nil) }
                // Its slot goes to the newcomer now; the count drops when
                // the closed session releases its ticket.
                counts.sessions[ticket] = nil
                evicted = session.close
            }
            counts.total += 1
            counts.perAddress[address] = current + 1
            counts.nextTicket += 1
            counts.sessions[counts.nextTicket] = Session(address: address, timeouts: timeouts, close: close)
            return (.admitted(counts.nextTicket), evicted)
        }
        evicted?()
        return admission
    }

    func release(_ ticket: UInt64, address: String) {
        counts.withLockedValue { counts in
            counts.sessions[ticket] = nil
            counts.total -= 1
            let remaining = counts.perAddress[address, default: 1] - 1
            counts.perAddress[address] = remaining > 0 ? remaining : nil
        }
    }

    var openConnections: Int { counts.withLockedValue { $0.total } }

    /// The session without a complete line for longest, if that is at least
    /// `idleEviction`. A session reading message text is never chosen.
    private func longestIdle(in sessions: [UInt64: Session], now: NIODeadline) -> (UInt64, Session)? {
        guard idleEviction > .zero else { return nil }
        var best: (UInt64, Session, NIODeadline)?
        for (ticket, session) in sessions where !session.timeouts.isReadingData {
            let since = session.timeouts.lastProgress
            if let current = best, current.2 <= since { continue }
            best = (ticket, session, since)
        }
        guard let (ticket, session, since) = best, now - since >= TimeAmount(idleEviction) else { return nil }
        return (ticket, session)
    }
}
