/// Every log line about one message, in the order they were written: the
/// lines of its queue id, of the connection that brought it (from that
/// connection's `connected` to its end), and of the bounce it caused.
public struct MessageStory: Sendable {
    public var queueID: String
    /// The session that brought the message, e.g. `SMTP-3`.
    public var connection: String?
    /// The queue ids of delivery status notifications about it.
    public var bounceQueueIDs: [String] = []
    public var lines: [String] = []

    /// Finds the queue id logged with `message-id <…>`, if the server logs Message-IDs.
    public static func queueID(forMessageID messageID: String, files: [String]) throws -> String? {
        let wanted = LogEventParser.unbracketed(messageID.trimmingSpaces).lowercased()
        var found: String?
        for file in files {
            try LogFiles.forEachLine(in: file) { bytes in
                guard found == nil, let line = LogLine(bytes), let id = line.queueID,
                    case .messageID(let value) = LogEventParser.parse(line.text), value.lowercased() == wanted
                else { return }
                found = id.text
            }
        }
        return found
    }

    /// The story of `queueID` in `files`, or nil when no line names it.
    public static func collect(queueID: String, files: [String], since: Int64? = nil) throws -> MessageStory? {
        var story = MessageStory(queueID: queueID)
        let bounceOf = "bounce of \(queueID)"
        // Pass 1: the queue id's lines, its connection and the first line's position.
        var ordinal = 0
        var firstOrdinal: Int?
        var anchor = 0
        var bounceIDs: Set<String> = []
        var recentQueueRecipients: [(id: String, address: String)] = []
        var awaitedBounce: String?
        for file in files {
            try LogFiles.forEachLine(in: file) { bytes in
                ordinal += 1
                guard let line = LogLine(bytes), since.map({ line.time >= $0 }) ?? true, let id = line.queueID else { return }
                let event = LogEventParser.parse(line.text)
                if id.elementsEqual(queueID.utf8) {
                    if case .statusNotification(_, let sender) = event {
                        // The bounce has its own queue id, which its line does not
                        // name: it is the queue line about that sender just before
                        // (the runner may be quicker than this line) or just after.
                        if let (_, named) = line.text.splitLast(at: "> as "), !line.isConnection {
                            bounceIDs.insert(named.text)
                        } else if let earlier = recentQueueRecipients.last(where: { $0.address == sender }) {
                            bounceIDs.insert(earlier.id)
                        } else {
                            awaitedBounce = sender
                        }
                    }
                    if story.connection == nil, line.isConnection {
                        story.connection = line.source.text
                        anchor = ordinal
                    }
                    if firstOrdinal == nil { firstOrdinal = ordinal }
                } else if !line.isConnection, case .sent(_, _, _, let permission) = event, permission == bounceOf {
                    bounceIDs.insert(id.text)
                } else if !line.isConnection, let address = Self.queueRecipient(event) {
                    if address == awaitedBounce {
                        bounceIDs.insert(id.text)
                        awaitedBounce = nil
                    }
                    recentQueueRecipients.append((id.text, address))
                    if recentQueueRecipients.count > 32 { recentQueueRecipients.removeFirst() }
                }
            }
        }
        guard firstOrdinal != nil else { return nil }
        story.bounceQueueIDs = bounceIDs.sorted()
        // Pass 2: the lines, with the connection's from its `connected`.
        ordinal = 0
        var session: [String] = []
        var sessionOver = false
        let connection = story.connection.map { Array($0.utf8) }
        for file in files {
            try LogFiles.forEachLine(in: file) { bytes in
                ordinal += 1
                guard let line = LogLine(bytes), since.map({ line.time >= $0 }) ?? true else { return }
                if let connection, !sessionOver, line.source.elementsEqual(connection) {
                    let event = LogEventParser.parse(line.text)
                    if ordinal < anchor {
                        if event == .connected { session.removeAll() }
                        if session.count < 10_000 { session.append(line.whole.text) }
                        return
                    }
                    if ordinal > anchor && event == .connected {
                        sessionOver = true
                    } else {
                        if ordinal == anchor {
                            story.lines += session
                            session.removeAll()
                        }
                        story.lines.append(line.whole.text)
                        if event == .disconnected { sessionOver = true }
                        return
                    }
                }
                guard let id = line.queueID else { return }
                if id.elementsEqual(queueID.utf8) || bounceIDs.contains(id.text) {
                    story.lines.append(line.whole.text)
                }
            }
        }
        return story
    }

    /// The recipient of a queue outcome line.
    static func queueRecipient(_ event: LogEvent) -> String? {
        switch event {
        case .sent(let address, _, _, _), .deferred(let address, _), .bounced(let address, _): return address
        default: return nil
        }
    }
}
