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
    /// Carry out a mailbox command (authenticated or selected state), send
    /// its responses ending in the tagged one, then call
    /// `mailboxCommandFinished(selected:)`. For IDLE: send `+ idling` and
    /// wait; the session gives `.endIdle` when the client says DONE.
    case mailbox(tag: String, command: MailboxCommand)
    /// The client ended IDLE (or sent something else, then `text` holds a
    /// BAD): send pending updates, then the tagged OK.
    case endIdle(tag: String, bad: String?)
}

/// The driver's verdict on credentials from `.authenticate`.
public enum IMAPAuthenticationOutcome: Equatable, Sendable {
    /// `user` is the canonical account name.
    case success(user: String)
    /// Unknown user or wrong password (the client is not told which).
    case failure
    /// The directory could not be read; try again later.
    case temporaryFailure
    /// The account has as many sessions open as it may.
    case tooManySessions
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
        /// A mailbox command is being carried out by the driver.
        case running(user: String, tag: String)
        case idling(user: String, tag: String)
        case loggedOut
    }

    public let configuration: IMAPSessionConfiguration
    private(set) var state = State.notAuthenticated
    public private(set) var tlsActive: Bool
    private var errors = 0
    /// The mailbox selected (SELECT/EXAMINE succeeded), if any.
    public private(set) var selected: String?
    /// ENABLE IMAP4rev2 (RFC 9051 § 6.3.1): UTF-8 mailbox names, ESEARCH
    /// results; until then the session speaks IMAP4rev1.
    public private(set) var imap4rev2 = false
    private let parser = IMAPCommandParser()

    public init(configuration: IMAPSessionConfiguration, implicitTLS: Bool = false) {
        self.configuration = configuration
        self.tlsActive = implicitTLS
    }

    /// The authenticated user, once there is one.
    public var user: String? {
        switch state {
        case .authenticated(let user), .running(let user, _), .idling(let user, _): return user
        default: return nil
        }
    }

    /// IDLE is running: new mail and flag changes are reported at once.
    public var isIdling: Bool {
        if case .idling = state { return true }
        return false
    }

    /// AUTHENTICATE is waiting for the client's response (the dialogue log masks that line).
    public var awaitingSASLResponse: Bool {
        if case .waitingForSASLResponse = state { return true }
        return false
    }

    var credentialsAllowed: Bool { tlsActive || configuration.plaintextAllowed }

    /// The capabilities in the current state (RFC 9051 § 7.2.2).
    public var capabilities: [String] {
        var list = ["IMAP4rev2", "IMAP4rev1", "LITERAL+", "SASL-IR", "ENABLE", "ID"]
        if !tlsActive && configuration.startTLSAvailable && user == nil { list.append("STARTTLS") }
        if user == nil { list.append(credentialsAllowed ? "AUTH=PLAIN" : "LOGINDISABLED") }
        if user != nil { list += Self.mailboxCapabilities }
        return list
    }

    public mutating func greet() -> IMAPSessionAction {
        .send("* OK [CAPABILITY \(capabilities.joined(separator: " "))] \(configuration.hostname) IMAP4rev2 ready\r\n")
    }

    /// Feeds what the framer produced.
    public mutating func receive(_ event: IMAPFramerEvent) -> IMAPSessionAction {
        switch state {
        case .loggedOut, .checkingCredentials, .startingTLS, .running:
            // The driver reads nothing in these states; a stray event is ignored.
            return .none
        case .idling(let user, let tag):
            state = .authenticated(user: user)
            if case .command(let text) = event, text.segments.count == 1, case .line(let line) = text.segments[0],
                String(decoding: line, as: UTF8.self).uppercased() == "DONE"
            {
                return .endIdle(tag: tag, bad: nil)
            }
            return .endIdle(tag: tag, bad: "\(tag) BAD Expected DONE\r\n")
        case .waitingForSASLResponse(let tag):
            return saslResponse(event, tag: tag)
        case .notAuthenticated, .authenticated:
            break
        }
        switch event {
        case .continuationRequest:
            return .send("+ Ready for literal data\r\n")
        // What follows a cut command cannot be framed safely (an overlong line
        // or the thousandth literal may announce a non-synchronizing literal,
        // whose bytes would be read as commands): the session ends, as
        // Dovecot ends it.
        case .lineTooLong(let tag):
            state = .loggedOut
            return .sendAndClose("\(tag) BAD Line too long\r\n* BYE Line too long\r\n")
        case .tooManyLiterals(let tag):
            state = .loggedOut
            return .sendAndClose("\(tag) BAD Too many literals in one command\r\n* BYE Too many literals\r\n")
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
        case .tooManySessions:
            state = .notAuthenticated
            return .send("\(tag) NO [LIMIT] Too many sessions for this account\r\n")
        }
    }

    private mutating func command(_ command: IMAPCommand) -> IMAPSessionAction {
        let tag = command.tag
        switch command.name {
        case "CAPABILITY":
            guard command.arguments.isEmpty else { return bad(tag, "CAPABILITY takes no arguments") }
            return .send("* CAPABILITY \(capabilities.joined(separator: " "))\r\n\(tag) OK CAPABILITY completed\r\n")
        case "NOOP":
            if selected != nil, let user {
                // In the selected state NOOP is how a client polls for changes.
                state = .running(user: user, tag: tag)
                return .mailbox(tag: tag, command: .noop)
            }
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
            guard !command.arguments.isEmpty else { return bad(tag, "ENABLE needs a capability") }
            var enabled: [String] = []
            for argument in command.arguments {
                guard case .atom(let name) = argument else { return bad(tag, "Invalid ENABLE argument") }
                if name.uppercased() == "IMAP4REV2", !imap4rev2 {
                    imap4rev2 = true
                    enabled.append("IMAP4rev2")
                }
            }
            let list = enabled.isEmpty ? "" : " " + enabled.joined(separator: " ")
            return .send("* ENABLED\(list)\r\n\(tag) OK ENABLE completed\r\n")
        default:
            guard let user else { return bad(tag, "Log in first (or unknown command \(command.name))") }
            switch MailboxCommand.parse(command) {
            case nil:
                return bad(tag, "Unknown command \(command.name)")
            case .failure(let error):
                return bad(error.tag, error.text)
            case .success(let mailboxCommand):
                if mailboxCommand.needsSelection && selected == nil { return bad(tag, "No mailbox selected") }
                if case .select = mailboxCommand {
                    // RFC 9051 § 6.3.2: a SELECT first closes the mailbox selected before.
                    selected = nil
                }
                state = mailboxCommand == .idle ? .idling(user: user, tag: tag) : .running(user: user, tag: tag)
                return .mailbox(tag: tag, command: mailboxCommand)
            }
        }
    }

    /// The driver finished a mailbox command; `selected` is the mailbox
    /// selected afterwards (nil after CLOSE, UNSELECT or a failed SELECT).
    public mutating func mailboxCommandFinished(selected: String?) {
        self.selected = selected
        if case .running(let user, _) = state { state = .authenticated(user: user) }
    }

    /// IMAP4rev2 and the extensions a logged-in client may use.
    static let mailboxCapabilities = [
        "IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "CHILDREN", "SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS",
        "ESEARCH", "SEARCHRES", "BINARY", "STATUS=SIZE", "QUOTA", "QUOTA=RES-STORAGE",
    ]

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
