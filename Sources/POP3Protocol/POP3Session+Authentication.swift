import MailCore

extension POP3Session {
    /// USER/PASS and AUTH are usable now: inside TLS, or in plaintext when
    /// the configuration allows it (RFC 2595 § 2.2).
    var authenticationPermitted: Bool {
        tlsActive || configuration.plaintextAuthenticationAllowed
    }

    // MARK: - USER / PASS (RFC 1939 § 7)

    mutating func userCommand(_ command: POP3Command) -> POP3SessionAction {
        guard authenticationPermitted else { return failure(POP3Responses.plaintextRefused) }
        guard command.arguments.count == 1 else { return failure(POP3Responses.wrongArguments) }
        // The same answer for every name: whether it exists is told by PASS,
        // and PASS does not tell either.
        state = .authorization(pendingUser: command.arguments[0])
        return .reply(POP3Responses.ok("Send PASS"))
    }

    /// RFC 1939 § 7: "may only be given in the AUTHORIZATION state
    /// immediately after a successful USER command".
    mutating func passCommand(_ command: POP3Command, pendingUser: String?) -> POP3SessionAction {
        guard authenticationPermitted else { return failure(POP3Responses.plaintextRefused) }
        guard let pendingUser else { return failure(POP3Responses.err("Send USER first")) }
        state = .authorization(pendingUser: nil)
        guard !command.rest.isEmpty else { return failure(POP3Responses.wrongArguments) }
        state = .checkingCredentials
        return .authenticate(username: pendingUser, password: command.rest)
    }

    // MARK: - AUTH (RFC 5034)

    mutating func authCommand(_ command: POP3Command) -> POP3SessionAction {
        state = .authorization(pendingUser: nil)
        guard authenticationPermitted else { return failure(POP3Responses.plaintextRefused) }
        guard (1...2).contains(command.arguments.count) else { return failure(POP3Responses.wrongArguments) }
        guard command.arguments[0].uppercased() == "PLAIN" else {
            return failure(POP3Responses.err("Unrecognized authentication type"))
        }
        guard command.arguments.count == 2 else {
            // RFC 5034 § 4: the challenge is "+" SP and base64 (here empty).
            state = .saslPlain
            return .reply("+ \r\n")
        }
        return plainResponse(command.arguments[1])
    }

    /// A line sent during the exchange: a base64 response, or "*" to cancel.
    mutating func saslResponse(_ line: POP3Line) -> POP3SessionAction {
        state = .authorization(pendingUser: nil)
        guard !line.overlong, line.cleanEnding else {
            return authenticationFailure(POP3Responses.err("Cannot decode response"))
        }
        // RFC 5034 § 4: "If the client wishes to cancel the authentication
        // exchange, it issues a line with a single "*". If the server
        // receives such a response, it MUST reject the AUTH command by
        // sending an -ERR reply."
        if line.text == "*" {
            return failure(POP3Responses.err("Authentication cancelled"))
        }
        return plainResponse(line.text)
    }

    /// RFC 4616: `[authzid] NUL authcid NUL passwd`, in base64, read by
    /// MailCore's `SASLPlainMessage` (RFC 5034 § 4: "=" is an empty response).
    private mutating func plainResponse(_ encoded: String) -> POP3SessionAction {
        let message: SASLPlainMessage
        do {
            message = try SASLPlainMessage.decode(base64: encoded)
        } catch .notBase64 {
            return authenticationFailure(POP3Responses.err("Cannot decode response"))
        } catch {
            return authenticationFailure(POP3Responses.err("Malformed PLAIN response"))
        }
        // Acting as someone else (authzid ≠ authcid) is not offered.
        guard !message.actsAsAnotherIdentity else { return authenticationFailure(POP3Responses.authenticationFailed) }
        state = .checkingCredentials
        return .authenticate(username: message.username, password: message.password)
    }

    // MARK: - The verdict

    /// The driver's verdict on the credentials from `.authenticate`.
    public mutating func authenticationFinished(_ outcome: POP3AuthenticationOutcome) -> POP3SessionAction {
        precondition(state == .checkingCredentials, "authenticationFinished without pending credentials")
        state = .authorization(pendingUser: nil)
        switch outcome {
        case .success(let user, let maildrop):
            self.user = user
            messages = maildrop.messages
            wireUIDs = messages.map { Maildrop.wireUID($0.uid) }
            deleted = []
            retrieved = []
            state = .transaction
            return .reply(POP3Responses.ok("\(user)'s maildrop has \(maildropSummary)"))
        case .failure:
            return authenticationFailure(POP3Responses.authenticationFailed)
        case .inUse:
            // RFC 1939 § 4: after a negative response the client "may either
            // issue a new authentication command and start again, or ... QUIT".
            return .reply(POP3Responses.inUse)
        case .temporaryFailure:
            return .reply(POP3Responses.temporaryFailure)
        }
    }

    /// Counts a failed login and closes the session after too many.
    mutating func authenticationFailure(_ response: String) -> POP3SessionAction {
        authenticationFailures += 1
        if authenticationFailures >= configuration.maximumAuthenticationFailures {
            state = .closed
            return .replyAndClose(POP3Responses.tooManyAuthenticationFailures)
        }
        return .reply(response)
    }
}
