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
        guard let (valid, owned) = result, valid else {
            logger.notice("authentication failed for \(account) from \(clientAddress)")
            return .failure
        }
        logger.notice("authenticated as \(account)")
        return .success(user: account, ownedAddresses: owned)
    }
}
