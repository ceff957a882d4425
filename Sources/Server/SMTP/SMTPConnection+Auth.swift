import MailStore
import SMTPProtocol

extension SMTPConnection {
    /// Checks credentials against the directory, off the event loop (PBKDF2
    /// is deliberately slow). An unknown user costs the same as a wrong
    /// password and gets the same reply, so probing reveals nothing.
    func authenticate(_ username: String, _ password: String) async -> AuthenticationOutcome {
        let directory = services.directory
        let account = username.lowercased()
        let result: (Bool, Set<String>)?
        do {
            result = try await services.delivery.run { () throws -> (Bool, Set<String>) in
                guard let stored = try directory.passwordHash(for: account) else {
                    _ = PasswordHasher.verify(password, against: PasswordHasher.timingDecoy)
                    return (false, [])
                }
                guard PasswordHasher.verify(password, against: stored) else { return (false, []) }
                return (true, try directory.ownedAddresses(of: account))
            }
        } catch {
            logger.error("authentication for \(account) could not be checked: \(error)")
            return .temporaryFailure
        }
        let locked = services.authGuard.isLocked(account)
        guard let (valid, owned) = result, valid, !locked else {
            let reason = locked ? " (account locked after repeated failures)" : ""
            logger.notice("authentication failed for \(account) from \(clientAddress)\(reason)")
            switch services.authGuard.failed(address: clientAddress, account: account) {
            case .delay(let pause):
                if pause > .zero { try? await Task.sleep(for: pause) }
                return .failure
            case .ban(_, let length):
                logger.notice("banned \(clientAddress) for \(length) after repeated authentication failures")
                return .banned
            }
        }
        services.authGuard.succeeded(address: clientAddress)
        logger.notice("authenticated as \(account)")
        return .success(user: account, ownedAddresses: owned)
    }
}
