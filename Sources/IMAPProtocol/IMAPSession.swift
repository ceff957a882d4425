import MailCore

/// What the connection driver must do after feeding the session an event.
public enum IMAPSessionAction: Equatable, Sendable {
    case none
    /// Send these response lines (complete, CRLF-terminated).
    case send(String)
    /// Send, then close the connection.
    case sendAndClose(String)
    /// Send unencrypted, start TLS, drop every byte that arrived before the
    /// handshake (RFC 9051 § 6.2.1: no command injection), then call
    /// `tlsEstablished()`.
    case startTLS(String)
    /// Check the credentials (off the event loop, with the brute-force
    /// guard), then call `authenticationFinished(_:)`. Never log the password.
    case authenticate(username: String, password: String)
}

/// The driver's verdict on credentials from `.authenticate`.
public enum IMAPAuthenticationOutcome: Equatable, Sendable {
    /// `user` is the canonical account name.
    case success(user: String)
    /// Unknown user or wrong password (the client is not told which).
    case failure
    /// The directory could not be read; try again later.
    case temporaryFailure
}

public struct IMAPSessionConfiguration: Sendable {
    public var hostname: String
    /// TLS can be started (a certificate is loaded).
    public var startTLSAvailable = true
    /// LOGIN and AUTHENTICATE without TLS (`imap.allow_plaintext`); off:
    /// LOGINDISABLED is announced and they are refused until STARTTLS.
    public var plaintextAllowed = false
    /// BAD replies before the session is closed (a client sending garbage).
    public var maximumErrors = 10

    public init(hostname: String) {
        self.hostname = hostname
    }
}

/// An IMAP4rev2 session (RFC 9051) as a value type with no I/O: the
/// not-authenticated state (CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN,
/// AUTHENTICATE PLAIN with SASL-IR) and the way into the authenticated
/// state. The mailbox commands come next (issue 14); until then an
/// authenticated client is told they are not available.
public struct IMAPSession: Sendable {
    enum State: Equatable, Sendable {
        case notAuthenticated
        /// AUTHENTICATE PLAIN sent `+ `: the next line is the client's response.
        case waitingForSASLResponse(tag: String)
        case checkingCredentials(tag: String)
        case startingTLS
        case authenticated(user: String)
        case loggedOut
    }

    public let configuration: IMAPSessionConfiguration
    private(set) var state = State.notAuthenticated
    public private(set) var tlsActive: Bool
    private var errors = 0
    private let parser = IMAPCommandParser()

    public init(configuration: IMAPSessionConfiguration, implicitTLS: Bool = false) {
        self.configuration = configuration
        self.tlsActive = implicitTLS
    }

    /// The authenticated user, once there is one.
    public var user: String? {
        if case .authenticated(let user) = state { return user }
        return nil
    }

    var credentialsAllowed: Bool { tlsActive || configuration.plaintextAllowed }

    /// The capabilities in the current state (RFC 9051 § 7.2.2).
    public var capabilities: [String] {
        var list = ["IMAP4rev2", "IMAP4rev1", "LITERAL+", "SASL-IR", "ENABLE", "ID"]
        if !tlsActive && configuration.startTLSAvailable && user == nil { list.append("STARTTLS") }
        if user == nil { list.append(credentialsAllowed ? "AUTH=PLAIN" : "LOGINDISABLED") }
        return list
    }

    public mutating func greet() -> IMAPSessionAction {
        .send("* OK [CAPABILITY \(capabilities.joined(separator: " "))] \(configuration.hostname) IMAP4rev2 ready\r\n")
    }

    /// Feeds what the framer produced.
    public mutating func receive(_ event: IMAPFramerEvent) -> IMAPSessionAction {
        switch state {
        case .loggedOut, .checkingCredentials, .startingTLS:
            // The driver reads nothing in these states; a stray event is ignored.
            return .none
        case .waitingForSASLResponse(let tag):
            return saslResponse(event, tag: tag)
        case .notAuthenticated, .authenticated:
            break
        }
        switch event {
        case .continuationRequest:
            return .send("+ Ready for literal data\r\n")
        case .lineTooLong(let tag):
            return bad(tag, "Line too long")
        case .tooManyLiterals(let tag):
            return bad(tag, "Too many literals in one command")
        case .literalTooLarge(let tag, _, let synchronizing):
            let reply = "\(tag) NO [TOOBIG] Literal too large\r\n"
            // A non-synchronizing literal is on its way and cannot be told apart
            // from commands: the only safe end is to close.
            return synchronizing ? countError(reply) : .sendAndClose(reply + "* BYE Literal too large\r\n")
        case .command(let text):
            do {
                return command(try parser.parse(text))
            } catch {
                return bad(error.tag, error.text)
            }
        }
    }

    public mutating func tlsEstablished() {
        tlsActive = true
        if state == .startingTLS { state = .notAuthenticated }
    }

    public mutating func authenticationFinished(_ outcome: IMAPAuthenticationOutcome) -> IMAPSessionAction {
        guard case .checkingCredentials(let tag) = state else { return .none }
        switch outcome {
        case .success(let user):
            state = .authenticated(user: user)
            return .send("\(tag) OK [CAPABILITY \(capabilities.joined(separator: " "))] Logged in\r\n")
        case .failure:
            state = .notAuthenticated
            return countError("\(tag) NO [AUTHENTICATIONFAILED] Authentication failed\r\n")
        case .temporaryFailure:
            state = .notAuthenticated
            return .send("\(tag) NO [UNAVAILABLE] Temporary failure, try again later\r\n")
        }
    }

    private mutating func command(_ command: IMAPCommand) -> IMAPSessionAction {
        let tag = command.tag
        switch command.name {
        case "CAPABILITY":
            guard command.arguments.isEmpty else { return bad(tag, "CAPABILITY takes no arguments") }
            return .send("* CAPABILITY \(capabilities.joined(separator: " "))\r\n\(tag) OK CAPABILITY completed\r\n")
        case "NOOP":
            return .send("\(tag) OK NOOP completed\r\n")
        case "LOGOUT":
            state = .loggedOut
            return .sendAndClose("* BYE \(configuration.hostname) logging out\r\n\(tag) OK LOGOUT completed\r\n")
        case "ID":
            // RFC 2971: the client's parameters are read for the log by the driver; ours are fixed.
            return .send("* ID (\"name\" \"SIMS\")\r\n\(tag) OK ID completed\r\n")
        case "STARTTLS":
            return startTLS(tag)
        case "LOGIN":
            return login(command)
        case "AUTHENTICATE":
            return authenticate(command)
        case "ENABLE":
            guard user != nil else { return bad(tag, "ENABLE is for authenticated sessions") }
            // Nothing to enable yet besides what every session gets.
            return .send("* ENABLED\r\n\(tag) OK ENABLE completed\r\n")
        default:
            if user == nil { return bad(tag, "Log in first (or unknown command \(command.name))") }
            return bad(tag, "Unknown or not yet supported command \(command.name)")
        }
    }

    private mutating func startTLS(_ tag: String) -> IMAPSessionAction {
        guard user == nil else { return bad(tag, "STARTTLS only before login") }
        guard !tlsActive else { return bad(tag, "TLS is already active") }
        guard configuration.startTLSAvailable else { return .send("\(tag) NO [UNAVAILABLE] TLS is not available\r\n") }
        state = .startingTLS
        return .startTLS("\(tag) OK Begin TLS negotiation now\r\n")
    }

    private mutating func login(_ command: IMAPCommand) -> IMAPSessionAction {
        let tag = command.tag
        guard user == nil else { return bad(tag, "Already logged in") }
        guard command.arguments.count == 2, let name = command.arguments[0].string, let password = command.arguments[1].string
        else { return bad(tag, "LOGIN needs a user name and a password") }
        guard credentialsAllowed else {
            return countError("\(tag) NO [PRIVACYREQUIRED] LOGIN only after STARTTLS\r\n")
        }
        return checkCredentials(
            tag: tag, username: String(decoding: name, as: UTF8.self), password: String(decoding: password, as: UTF8.self))
    }

    private mutating func authenticate(_ command: IMAPCommand) -> IMAPSessionAction {
        let tag = command.tag
        guard user == nil else { return bad(tag, "Already logged in") }
        guard let mechanism = command.arguments.first?.string, command.arguments.count <= 2 else {
            return bad(tag, "AUTHENTICATE needs a mechanism")
        }
        guard String(decoding: mechanism, as: UTF8.self).uppercased() == "PLAIN" else {
            return .send("\(tag) NO [CANNOT] Only AUTHENTICATE PLAIN is supported\r\n")
        }
        guard credentialsAllowed else {
            return countError("\(tag) NO [PRIVACYREQUIRED] AUTHENTICATE only after STARTTLS\r\n")
        }
        guard command.arguments.count == 2, let initial = command.arguments[1].string else {
            state = .waitingForSASLResponse(tag: tag)
            return .send("+ \r\n")
        }
        // SASL-IR (RFC 4959): "=" is an empty initial response.
        return plainResponse(String(decoding: initial, as: UTF8.self), tag: tag)
    }

    private mutating func saslResponse(_ event: IMAPFramerEvent, tag: String) -> IMAPSessionAction {
        state = .notAuthenticated
        guard case .command(let text) = event, text.segments.count == 1, case .line(let bytes) = text.segments[0] else {
            return bad(tag, "Invalid AUTHENTICATE response")
        }
        let line = String(decoding: bytes, as: UTF8.self)
        if line == "*" { return bad(tag, "AUTHENTICATE cancelled") }
        return plainResponse(line, tag: tag)
    }

    private mutating func plainResponse(_ base64: String, tag: String) -> IMAPSessionAction {
        guard let message = try? SASLPlainMessage.decode(base64: base64 == "=" ? "" : base64) else {
            return bad(tag, "Invalid SASL PLAIN response")
        }
        if !message.authorizationIdentity.isEmpty && message.authorizationIdentity != message.username {
            return .send("\(tag) NO [AUTHORIZATIONFAILED] Cannot act as another user\r\n")
        }
        return checkCredentials(tag: tag, username: message.username, password: message.password)
    }

    private mutating func checkCredentials(tag: String, username: String, password: String) -> IMAPSessionAction {
        state = .checkingCredentials(tag: tag)
        return .authenticate(username: username, password: password)
    }

    private mutating func bad(_ tag: String, _ text: String) -> IMAPSessionAction {
        countError("\(tag) BAD \(WireText.singleLine(text, maximumLength: 200))\r\n")
    }

    /// Sends `reply`; past the error limit, closes after it.
    private mutating func countError(_ reply: String) -> IMAPSessionAction {
        errors += 1
        guard errors < configuration.maximumErrors else {
            state = .loggedOut
            return .sendAndClose(reply + "* BYE Too many errors\r\n")
        }
        return .send(reply)
    }
}
