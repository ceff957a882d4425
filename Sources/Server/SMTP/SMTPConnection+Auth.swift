import Policy
import SMTPProtocol

extension SMTPConnection {
    /// SMTP AUTH: the shared credential check, as the session's outcome.
    func authenticate(_ username: String, _ password: String) async -> AuthenticationOutcome {
        let check = CredentialCheck(
            directory: services.directory, storage: services.delivery.threadPool, guardian: services.authGuard,
            verified: services.verifiedPasswords)
        switch await check.check(
            username, password, from: clientAddress, session: ObjectIdentifier(channel.channel), logger: logger)
        {
        case .valid(let account, let owned): return .success(user: account, ownedAddresses: owned)
        case .invalid: return .failure
        case .banned: return .banned
        case .unavailable: return .temporaryFailure
        }
    }
}
