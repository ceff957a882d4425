/// The server side of one POP3 connection, as a value-type state machine.
///
/// Lines go in (`receive`), actions come out; it performs no I/O and reads no
/// clock. The driver owns the socket, checks credentials, locks and reads the
/// maildrop, and reports back through `authenticationFinished`,
/// `commitFinished` and `tlsEstablished`. The driver feeds one line at a time
/// and carries out each action before feeding the next line, so pipelined
/// commands (RFC 2449 § 6.6) are answered in order.
public struct POP3Session: Sendable {
    enum State: Sendable, Hashable {
        /// Connected, greeting not yet sent.
        case connected
        /// RFC 1939 § 4: the AUTHORIZATION state; `pendingUser` after USER.
        case authorization(pendingUser: String?)
        /// AUTH PLAIN sent "+ ": the next line is a SASL response.
        case saslPlain
        /// Waiting for the driver's verdict on credentials.
        case checkingCredentials
        /// STLS answered; waiting for the handshake.
        case startingTLS
        /// RFC 1939 § 5: the TRANSACTION state.
        case transaction
        /// RFC 1939 § 6: the UPDATE state, waiting for the driver's commit.
        case committing
        case closed
    }

    /// RFC 2449 § 4: "The maximum length of a command is increased from 47
    /// characters ... to 255 octets, including the terminating CRLF."
    public static let maximumCommandLength = 255

    public let configuration: POP3SessionConfiguration
    var state: State = .connected
    public private(set) var tlsActive = false
    /// The account logged in, from `authenticationFinished(.success)`.
    public internal(set) var user: String?
    /// The maildrop snapshot; message n is `messages[n - 1]`.
    var messages: [Maildrop.Message] = []
    var wireUIDs: [String] = []
    /// Zero-based indices marked by DELE.
    var deleted: Set<Int> = []
    /// Zero-based indices sent by RETR.
    var retrieved: Set<Int> = []
    public internal(set) var authenticationFailures = 0
    public internal(set) var errorCount = 0

    public init(configuration: POP3SessionConfiguration) {
        self.configuration = configuration
    }

    /// True while the next line is a SASL response (a secret), not a command.
    public var isInSASLExchange: Bool { state == .saslPlain }

    public var isClosed: Bool { state == .closed }

    /// In the TRANSACTION state (logged in, QUIT not yet sent).
    public var isInTransaction: Bool { state == .transaction }

    /// RFC 1939 § 4: "the POP3 server issues a one line greeting".
    public mutating func greet() -> POP3SessionAction {
        state = .authorization(pendingUser: nil)
        return .reply(POP3Responses.ok("\(configuration.hostname) POP3 server ready"))
    }

    /// Feeds one line, without its line ending; `cleanEnding` says whether
    /// it ended in CR LF (false for a bare LF or a stray CR).
    public mutating func receive(_ line: String, cleanEnding: Bool) -> POP3SessionAction {
        receive(POP3Line(line, cleanEnding: cleanEnding))
    }

    /// Feeds one line from the driver's `LineFramer`.
    public mutating func receive(_ line: POP3Line) -> POP3SessionAction {
        switch state {
        case .closed:
            // The connection is being closed; nothing more is said.
            return .none
        case .connected, .checkingCredentials, .startingTLS, .committing:
            // The driver feeds no lines here: a line means the client ignored
            // the protocol (or the driver has a bug). Stop.
            state = .closed
            return .replyAndClose(POP3Responses.protocolViolation)
        case .saslPlain:
            return saslResponse(line)
        case .authorization(let pendingUser):
            guard let command = parse(line) else { return rejectedLine(line) }
            return authorizationCommand(command, pendingUser: pendingUser)
        case .transaction:
            guard let command = parse(line) else { return rejectedLine(line) }
            return transactionCommand(command)
        }
    }

    private func parse(_ line: POP3Line) -> POP3Command? {
        guard !line.overlong, line.wireLength <= Self.maximumCommandLength, line.cleanEnding,
            !line.text.utf8.contains(UInt8(ascii: "\r"))
        else { return nil }
        return POP3Command(parsing: line.text)
    }

    private mutating func rejectedLine(_ line: POP3Line) -> POP3SessionAction {
        if line.overlong || line.wireLength > Self.maximumCommandLength {
            return failure(POP3Responses.lineTooLong)
        }
        if !line.cleanEnding || line.text.utf8.contains(UInt8(ascii: "\r")) {
            return failure(POP3Responses.bareLineEnding)
        }
        return failure(POP3Responses.unknownCommand)
    }

    // MARK: - AUTHORIZATION

    private mutating func authorizationCommand(_ command: POP3Command, pendingUser: String?) -> POP3SessionAction {
        switch command.keyword {
        case "CAPA":
            guard command.arguments.isEmpty else { return failure(POP3Responses.wrongArguments) }
            return .reply(capabilities())
        case "QUIT":
            // RFC 1939 § 4: QUIT in AUTHORIZATION ends the session without
            // entering the UPDATE state.
            state = .closed
            return .replyAndClose(POP3Responses.ok("\(configuration.hostname) POP3 server signing off"))
        case "STLS": return stls(command)
        case "USER": return userCommand(command)
        case "PASS": return passCommand(command, pendingUser: pendingUser)
        case "AUTH": return authCommand(command)
        case "APOP": return failure(POP3Responses.err("APOP not supported"))
        case "STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "NOOP", "RSET":
            return failure(POP3Responses.err("Command not valid in AUTHORIZATION state; log in first"))
        default:
            return failure(POP3Responses.unknownCommand)
        }
    }

    // MARK: - STLS (RFC 2595 § 4)

    private mutating func stls(_ command: POP3Command) -> POP3SessionAction {
        guard !tlsActive else {
            return failure(POP3Responses.err("Command not permitted when TLS active"))
        }
        guard configuration.stlsAvailable else {
            return failure(POP3Responses.err("STLS not available"))
        }
        guard command.arguments.isEmpty else { return failure(POP3Responses.wrongArguments) }
        state = .startingTLS
        return .startTLS(POP3Responses.ok("Begin TLS negotiation"))
    }

    /// RFC 2595 § 4: "Once TLS has been started, the client MUST discard
    /// cached information about server capabilities"; the server forgets a
    /// USER given in plaintext and "remains in AUTHORIZATION state".
    public mutating func tlsEstablished() {
        precondition(state == .startingTLS, "tlsEstablished without STLS")
        tlsActive = true
        state = .authorization(pendingUser: nil)
    }

    /// Implicit TLS (RFC 8314, port 995): the handshake came before the
    /// greeting, so there is nothing to forget.
    public mutating func implicitTLSEstablished() {
        tlsActive = true
    }

    // MARK: - Shared helpers

    /// Counts a failed command and closes the session when there are too many.
    mutating func failure(_ response: String) -> POP3SessionAction {
        errorCount += 1
        if errorCount >= configuration.maximumErrors {
            state = .closed
            return .replyAndClose(POP3Responses.tooManyErrors)
        }
        return .reply(response)
    }
}
