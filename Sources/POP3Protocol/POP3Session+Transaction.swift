extension POP3Session {
    /// "n messages (m octets)" over the messages not marked as deleted.
    var maildropSummary: String {
        let live = liveIndices
        let octets = live.reduce(0) { $0 + messages[$1].octets }
        return "\(live.count) message\(live.count == 1 ? "" : "s") (\(octets) octets)"
    }

    /// RFC 1939 § 5 (STAT, LIST): "messages marked as deleted are not
    /// counted" / "are not listed".
    var liveIndices: [Int] { messages.indices.filter { !deleted.contains($0) } }

    mutating func transactionCommand(_ command: POP3Command) -> POP3SessionAction {
        let arguments = command.arguments
        switch command.keyword {
        case "STAT":
            guard arguments.isEmpty else { return failure(POP3Responses.wrongArguments) }
            let live = liveIndices
            return .reply(POP3Responses.ok("\(live.count) \(live.reduce(0) { $0 + messages[$1].octets })"))
        case "LIST":
            let lines = liveIndices.map { "\($0 + 1) \(messages[$0].octets)" }
            return listing(arguments, title: maildropSummary, lines: lines) { [messages] in "\($0 + 1) \(messages[$0].octets)" }
        case "UIDL":
            let lines = liveIndices.map { "\($0 + 1) \(wireUIDs[$0])" }
            return listing(arguments, title: "", lines: lines) { [wireUIDs] in "\($0 + 1) \(wireUIDs[$0])" }
        case "RETR":
            guard arguments.count == 1 else { return failure(POP3Responses.wrongArguments) }
            switch messageIndex(arguments[0]) {
            case .failure(let error): return failure(error.response)
            case .success(let index):
                retrieved.insert(index)
                return .sendMessage(uid: messages[index].uid, topLines: nil)
            }
        case "TOP":
            guard arguments.count == 2 else { return failure(POP3Responses.wrongArguments) }
            switch messageIndex(arguments[0]) {
            case .failure(let error): return failure(error.response)
            case .success(let index):
                guard let lines = Self.nonNegativeNumber(arguments[1]) else {
                    return failure(POP3Responses.err("Invalid number of lines"))
                }
                return .sendMessage(uid: messages[index].uid, topLines: lines)
            }
        case "DELE":
            guard arguments.count == 1 else { return failure(POP3Responses.wrongArguments) }
            // RFC 1939 § 5 (DELE): "Any future reference to the
            // message-number associated with the message in a POP3 command
            // generates an error."
            switch messageIndex(arguments[0]) {
            case .failure(let error): return failure(error.response)
            case .success(let index):
                deleted.insert(index)
                return .reply(POP3Responses.ok("message \(index + 1) deleted"))
            }
        case "NOOP":
            guard arguments.isEmpty else { return failure(POP3Responses.wrongArguments) }
            return .reply(POP3Responses.ok())
        case "RSET":
            guard arguments.isEmpty else { return failure(POP3Responses.wrongArguments) }
            // RFC 1939 § 5 (RSET): "If any messages have been marked as
            // deleted by the POP3 server, they are unmarked."
            deleted = []
            return .reply(POP3Responses.ok("maildrop has \(maildropSummary)"))
        case "CAPA":
            guard arguments.isEmpty else { return failure(POP3Responses.wrongArguments) }
            return .reply(capabilities())
        case "QUIT":
            guard arguments.isEmpty else { return failure(POP3Responses.wrongArguments) }
            return quit()
        case "USER", "PASS", "AUTH", "APOP", "STLS":
            return failure(POP3Responses.err("Command not valid in TRANSACTION state"))
        default:
            return failure(POP3Responses.unknownCommand)
        }
    }

    /// LIST and UIDL: one line for message n, or the multi-line listing of
    /// every message not marked as deleted.
    private mutating func listing(
        _ arguments: [String], title: String, lines: [String], line: (Int) -> String
    ) -> POP3SessionAction {
        switch arguments.count {
        case 0:
            return .reply(POP3Responses.multiline(title, lines))
        case 1:
            switch messageIndex(arguments[0]) {
            case .failure(let error): return failure(error.response)
            case .success(let index): return .reply(POP3Responses.ok(line(index)))
            }
        default:
            return failure(POP3Responses.wrongArguments)
        }
    }

    struct MessageNumberError: Error {
        var response: String
    }

    /// Resolves a message-number argument (1-based, decimal, in range, not
    /// deleted) to an index into `messages`.
    func messageIndex(_ argument: String) -> Result<Int, MessageNumberError> {
        guard let number = Self.nonNegativeNumber(argument), number >= 1 else {
            return .failure(.init(response: POP3Responses.invalidMessageNumber))
        }
        guard number <= messages.count else {
            return .failure(.init(response: POP3Responses.err("no such message, only \(messages.count) messages in maildrop")))
        }
        guard !deleted.contains(number - 1) else {
            return .failure(.init(response: POP3Responses.err("message \(number) already deleted")))
        }
        return .success(number - 1)
    }

    /// Decimal digits only (no sign, no spaces); too many digits saturate.
    static func nonNegativeNumber(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text) ?? .max
    }

    // MARK: - QUIT and the UPDATE state (RFC 1939 § 6)

    /// RFC 1939 § 6: "When the client issues the QUIT command from the
    /// TRANSACTION state, the POP3 session enters the UPDATE state."
    private mutating func quit() -> POP3SessionAction {
        state = .committing
        let deletedUIDs = messages.indices.filter { deleted.contains($0) }.map { messages[$0].uid }
        let retrievedUIDs = messages.indices.filter { retrieved.contains($0) && !deleted.contains($0) }
            .map { messages[$0].uid }
        return .commit(deleted: deletedUIDs, retrieved: retrievedUIDs)
    }

    /// The outcome of `.commit`. RFC 1939 § 6 (QUIT): "-ERR some deleted
    /// messages not removed" when the update failed; either way the
    /// connection is closed.
    public mutating func commitFinished(success: Bool) -> POP3SessionAction {
        precondition(state == .committing, "commitFinished without QUIT")
        state = .closed
        guard success else { return .replyAndClose(POP3Responses.updateFailed) }
        let left = liveIndices.count
        let status = left == 0 ? "maildrop empty" : "\(left) message\(left == 1 ? "" : "s") left"
        return .replyAndClose(POP3Responses.ok("\(configuration.hostname) POP3 server signing off (\(status))"))
    }

    /// The message from `.sendMessage` could not be read: it no longer
    /// counts as retrieved, and the returned `-ERR` is sent instead.
    public mutating func sendMessageFailed(uid: String) -> POP3SessionAction {
        if let index = messages.firstIndex(where: { $0.uid == uid }) {
            retrieved.remove(index)
        }
        return .reply(POP3Responses.messageUnavailable)
    }
}
