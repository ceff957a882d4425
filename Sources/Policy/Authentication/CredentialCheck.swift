import Logging
import MailCore
import MailStore
import NIOPosix

/// Checks a user name and password for SMTP AUTH and POP3 alike, with the
/// shared brute-force protection: off the event loop (PBKDF2 is deliberately
/// slow); an unknown user costs the same as a wrong password and gets the
/// same answer, so probing reveals nothing; a locked account fails even with
/// the right password.
public struct CredentialCheck: Sendable {
    public enum Result: Sendable {
        case valid(account: String, ownedAddresses: SenderOwnership)
        case invalid
        case banned
        case unavailable
    }

    public let directory: Directory
    /// Where the password hash is checked: the storage thread pool.
    let storage: NIOThreadPool
    let guardian: AuthenticationGuard
    /// Recent successful verifications, so polling clients skip PBKDF2.
    let verified: VerifiedPasswordCache

    /// `storage` is the pool blocking storage work runs on (PBKDF2 and the
    /// directory read must not stall an event loop).
    public init(directory: Directory, storage: NIOThreadPool, guardian: AuthenticationGuard, verified: VerifiedPasswordCache) {
        self.directory = directory
        self.storage = storage
        self.guardian = guardian
        self.verified = verified
    }

    /// `session` is the connection asking: when this failure bans the
    /// address, every other open session from it is ended, and this one is
    /// told by the `.banned` result.
    public func check(
        _ username: String, _ password: String, from clientAddress: String, session: OpenSessions.SessionID?, logger: Logger
    ) async -> Result {
        let account = username.lowercased()
        let directory = self.directory
        let verified = self.verified
        let outcome: (Bool, SenderOwnership)
        do {
            outcome = try await storage.runIfActive { () throws -> (Bool, SenderOwnership) in
                guard let stored = try directory.passwordHash(for: account) else {
                    _ = PasswordHasher.verify(password, against: PasswordHasher.timingDecoy)
                    return (false, SenderOwnership())
                }
                if !verified.confirms(password, account: account, storedHash: stored) {
                    guard PasswordHasher.verify(password, against: stored) else { return (false, SenderOwnership()) }
                    verified.remember(password, account: account, storedHash: stored)
                }
                return (true, try directory.ownedAddresses(of: account))
            }
        } catch {
            logger.error("authentication for \(LogField.word(account)) could not be checked: \(error)")
            return .unavailable
        }
        let locked = guardian.isLocked(account)
        guard outcome.0, !locked else {
            let reason = locked ? " (account locked after repeated failures)" : ""
            logger.notice("authentication failed for \(LogField.word(account)) from \(clientAddress)\(reason)")
            switch guardian.failed(address: clientAddress, account: account) {
            case .delay(let pause):
                if pause > .zero { try? await Task.sleep(for: pause) }
                return .invalid
            case .ban(_, let length):
                logger.notice("banned \(clientAddress) for \(length) after repeated authentication failures")
                let ended = guardian.openSessions.endAll(from: clientAddress, except: session)
                if ended > 0 { logger.notice("ended \(ended) other session(s) from banned \(clientAddress)") }
                return .banned
            }
        }
        logger.notice("authenticated as \(LogField.word(account))")
        return .valid(account: account, ownedAddresses: outcome.1)
    }
}
