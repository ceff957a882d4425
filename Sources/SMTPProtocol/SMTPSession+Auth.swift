import MailCore

/// Where a SASL exchange (RFC 4954) stands.
enum SASLExchange: Sendable {
    /// PLAIN, waiting for `authzid NUL authcid NUL passwd` in base64.
    case plainResponse
    /// LOGIN, waiting for the user name, then the password.
    case loginUsername
    case loginPassword(username: String)
}

/// The directory's verdict on credentials.
public enum AuthenticationOutcome: Hashable, Sendable {
    /// `user` is the canonical account; `ownedAddresses` the envelope
    /// senders it may use (its address and its aliases).
    case success(user: String, ownedAddresses: SenderOwnership)
    case failure
    /// The directory could not be asked; try again later (454).
    case temporaryFailure
    /// Too many failures from this client: it is now banned (421, close).
    case banned
}

extension SMTPSession {
    static let usernameChallenge = "VXNlcm5hbWU6"  // base64("Username:")
    static let passwordChallenge = "UGFzc3dvcmQ6"  // base64("Password:")

    /// Whether EHLO may offer AUTH right now.
    var offersAuthentication: Bool {
        configuration.authenticationAvailable && (tls != nil || configuration.plaintextAuthenticationAllowed)
    }

    mutating func auth(mechanism: String, initialResponse: String?) -> SMTPSessionAction {
        switch state {
        case .awaitingHello: return failure(Replies.helloFirst)
        case .transaction: return failure(SMTPReply(503, .init(5, 5, 1), "AUTH not allowed during a mail transaction"))
        default: break
        }
        guard configuration.authenticationAvailable else {
            return failure(SMTPReply(502, .init(5, 5, 1), "AUTH not available"))
        }
        guard authenticatedUser == nil else {
            return failure(SMTPReply(503, .init(5, 5, 1), "Already authenticated"))
        }
        guard tls != nil || configuration.plaintextAuthenticationAllowed else {
            // RFC 4954 § 6: 538 when the mechanism needs an encrypted connection.
            return failure(SMTPReply(538, .init(5, 7, 11), "Encryption required for requested authentication mechanism"))
        }
        switch mechanism {
        case "PLAIN":
            guard let initialResponse else {
                state = .authenticating(.plainResponse)
                return .reply(SMTPReply(334, nil, ""))
            }
            return plainResponse(initialResponse)
        case "LOGIN":
            guard let initialResponse else {
                state = .authenticating(.loginUsername)
                return .reply(SMTPReply(334, nil, Self.usernameChallenge))
            }
            return loginStep(.loginUsername, initialResponse)
        default:
            return failure(SMTPReply(504, .init(5, 5, 4), "Unrecognized authentication type"))
        }
    }

    /// A line sent during the exchange: a base64 response, or "*" to cancel.
    mutating func saslLine(_ line: InputLine, _ exchange: SASLExchange) -> SMTPSessionAction {
        state = .idle
        guard line.isClean, let text = String(validating: line.bytes.readableBytesView, as: UTF8.self) else {
            return failure(SMTPReply(501, .init(5, 5, 2), "Cannot decode response"))
        }
        if text == "*" {
            return failure(SMTPReply(501, .init(5, 7, 0), "Authentication cancelled"))
        }
        switch exchange {
        case .plainResponse: return plainResponse(text)
        case .loginUsername, .loginPassword: return loginStep(exchange, text)
        }
    }

    /// RFC 4616: `[authzid] NUL authcid NUL passwd`, read by MailCore's `SASLPlainMessage`.
    private mutating func plainResponse(_ encoded: String) -> SMTPSessionAction {
        let message: SASLPlainMessage
        do {
            message = try SASLPlainMessage.decode(base64: encoded)
        } catch .notBase64 {
            return failure(SMTPReply(501, .init(5, 5, 2), "Cannot decode response"))
        } catch {
            return failure(SMTPReply(501, .init(5, 5, 2), "Malformed PLAIN response"))
        }
        // Acting as someone else (authzid ≠ authcid) is not offered.
        guard !message.actsAsAnotherIdentity else { return failure(Replies.authenticationFailed) }
        state = .checkingCredentials
        return .authenticate(username: message.username, password: message.password)
    }

    private mutating func loginStep(_ step: SASLExchange, _ encoded: String) -> SMTPSessionAction {
        guard let decoded = SASLResponse.decodeBase64(encoded), let text = String(validating: decoded, as: UTF8.self) else {
            return failure(SMTPReply(501, .init(5, 5, 2), "Cannot decode response"))
        }
        switch step {
        case .loginUsername:
            state = .authenticating(.loginPassword(username: text))
            return .reply(SMTPReply(334, nil, Self.passwordChallenge))
        case .loginPassword(let username):
            state = .checkingCredentials
            return .authenticate(username: username, password: text)
        case .plainResponse:
            return plainResponse(encoded)
        }
    }

    /// The directory's verdict on the credentials from `.authenticate`.
    public mutating func authenticationFinished(_ outcome: AuthenticationOutcome) -> SMTPSessionAction {
        guard case .checkingCredentials = state else {
            preconditionFailure("authenticationFinished without pending credentials")
        }
        state = .idle
        switch outcome {
        case .success(let user, let owned):
            authenticatedUser = user
            ownedAddresses = owned
            return .reply(SMTPReply(235, .init(2, 7, 0), "Authentication successful"))
        case .failure:
            return failure(Replies.authenticationFailed)
        case .temporaryFailure:
            return failure(SMTPReply(454, .init(4, 7, 0), "Temporary authentication failure"))
        case .banned:
            state = .closed
            return .replyAndClose(
                SMTPReply(421, .init(4, 7, 0), "\(configuration.hostname) Too many authentication failures, closing connection"))
        }
    }
}
