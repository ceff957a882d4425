/// The SMTP dialogue of a relay check, as a value: connection events and
/// replies in, commands to send out. No sockets, no clocks.
///
/// Per connection: greeting, EHLO (HELO if EHLO is refused), then for each
/// trick MAIL, RCPT (only if MAIL was accepted) and RSET; QUIT at the end.
/// DATA is never sent, so no message can be delivered. A server that drops
/// the connection mid-trick (many do after a few refusals) gets a new
/// connection and the trick once more.
public struct RelayProbe: Sendable {
    /// What the connection driver must do next.
    public enum Action: Sendable, Hashable {
        /// Send this command line (without CRLF).
        case send(String)
        /// Close this connection and open a new one.
        case reconnect
        /// Close the connection: the check is over (see `report`).
        case finish
    }

    private enum State: Sendable {
        case greeting, ehlo, helo, mail, rcpt, rset, quit, finished
    }

    public struct Settings: Sendable, Hashable {
        public var helo: String
        public var external: String
        public var sender: String?
        /// The tested server's mail domain; derived from its banner when nil.
        public var localDomain: String?
        /// The most connections one check opens (servers that drop a session
        /// after a few refusals need several).
        public var maximumConnections: Int

        public init(
            helo: String, external: String, sender: String? = nil, localDomain: String? = nil, maximumConnections: Int = 40
        ) {
            self.helo = helo
            self.external = external
            self.sender = sender
            self.localDomain = localDomain
            self.maximumConnections = maximumConnections
        }
    }

    public let settings: Settings
    private var state = State.greeting
    public private(set) var battery: RelayTrickBattery?
    public private(set) var banner: RelayProbeReply?
    public private(set) var results: [RelayTrickResult] = []
    /// Why the check stopped before every trick was tried.
    public private(set) var failure: String?
    private var tricks: [RelayTrick] = []
    private var current = 0
    private var mailReply: RelayProbeReply?
    private var retried = false
    private var connections = 0
    private var setupFailures = 0

    public init(settings: Settings) {
        self.settings = settings
    }

    public var isFinished: Bool { state == .finished }

    /// A connection to `address` (the server's IP) is open; the greeting comes next.
    public mutating func connected(address: String) {
        connections += 1
        state = .greeting
        if battery == nil {
            battery = RelayTrickBattery(
                external: settings.external, local: "", hostname: "", address: address, sender: settings.sender)
        }
    }

    /// The connection could not be opened.
    public mutating func connectFailed(_ reason: String) -> Action {
        state = .greeting
        return interrupted("cannot connect: \(reason)")
    }

    public mutating func receive(_ reply: RelayProbeReply) -> Action {
        switch state {
        case .greeting:
            guard reply.code == 220 else {
                return interrupted("the server refused the session: \(reply)")
            }
            if banner == nil { learnNames(from: reply) }
            state = .ehlo
            return .send("EHLO \(settings.helo)")
        case .ehlo, .helo:
            guard reply.isPositive else {
                if state == .ehlo && reply.isPermanent {
                    state = .helo
                    return .send("HELO \(settings.helo)")
                }
                return finish(because: "the server refused \(state == .ehlo ? "EHLO" : "HELO"): \(reply)")
            }
            setupFailures = 0
            return startTrick()
        case .mail where reply.code == 421, .rcpt where reply.code == 421:
            // RFC 5321 § 3.8: 421 means the server is closing; it is no answer to the trick.
            return interrupted("the server closed the session: \(reply)")
        case .mail:
            mailReply = reply
            if reply.isPositive {
                state = .rcpt
                return .send(tricks[current].rcptCommand)
            }
            return endTrick(rcptReply: nil)
        case .rcpt:
            return endTrick(rcptReply: reply)
        case .rset:
            guard reply.isPositive else { return reconnectOrFinish("the server refused RSET: \(reply)") }
            return startTrick()
        case .quit:
            state = .finished
            return .finish
        case .finished:
            return .finish
        }
    }

    /// The server closed the connection, or it timed out (`reason` says which).
    public mutating func connectionClosed(_ reason: String) -> Action {
        switch state {
        case .quit, .finished:
            state = .finished
            return .finish
        case .greeting, .ehlo, .helo:
            return interrupted("\(reason) before the session started")
        case .mail, .rcpt:
            return interrupted(reason)
        case .rset:
            return reconnectOrFinish()
        }
    }

    // MARK: - Steps

    private mutating func learnNames(from greeting: RelayProbeReply) {
        banner = greeting
        // RFC 5321 § 4.3.1: the greeting begins with the server's domain name.
        let first = greeting.lines.first?.split(separator: " ").first.map(String.init) ?? ""
        let looksLikeName = first.contains(".") && first.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
        var names = battery!
        names.hostname = looksLikeName ? first.lowercased() : names.literal
        if let local = settings.localDomain {
            names.local = local.lowercased()
        } else if looksLikeName {
            // mx.example.org → example.org; a two-label name is the domain itself.
            let labels = names.hostname.split(separator: ".")
            names.local = labels.count > 2 ? labels.dropFirst().joined(separator: ".") : names.hostname
        } else {
            names.local = names.literal
        }
        battery = names
        tricks = names.tricks
    }

    private mutating func startTrick() -> Action {
        guard current < tricks.count else {
            state = .quit
            return .send("QUIT")
        }
        mailReply = nil
        state = .mail
        return .send(tricks[current].mailCommand)
    }

    private mutating func endTrick(rcptReply: RelayProbeReply?) -> Action {
        results.append(RelayTrickResult(trick: tricks[current], mailReply: mailReply, rcptReply: rcptReply))
        current += 1
        retried = false
        state = .rset
        return .send("RSET")
    }

    /// The connection broke in the middle of something. A trick in flight
    /// is tried once more on a new connection, then recorded as unanswered;
    /// a session that cannot even start twice in a row ends the check.
    private mutating func interrupted(_ reason: String) -> Action {
        if state == .mail || state == .rcpt {
            if retried {
                results.append(RelayTrickResult(trick: tricks[current], mailReply: mailReply, rcptReply: nil, problem: reason))
                current += 1
                retried = false
            } else {
                retried = true
            }
            return reconnectOrFinish(reason)
        }
        setupFailures += 1
        if tricks.isEmpty || setupFailures >= 2 { return finish(because: reason) }
        return reconnectOrFinish(reason)
    }

    private mutating func reconnectOrFinish(_ reason: String = "the server closed the connection") -> Action {
        guard current < tricks.count else {
            state = .finished
            return .finish
        }
        guard connections <= settings.maximumConnections else {
            return finish(because: "\(reason); gave up after \(connections) connections")
        }
        state = .greeting
        return .reconnect
    }

    private mutating func finish(because reason: String) -> Action {
        if failure == nil && (tricks.isEmpty || current < tricks.count) { failure = reason }
        state = .finished
        return .finish
    }

    /// The results so far, with the tricks not tried.
    public var report: RelayCheckReport {
        RelayCheckReport(
            banner: banner, battery: battery, results: results, untried: Array(tricks.dropFirst(current)),
            failure: failure)
    }
}
