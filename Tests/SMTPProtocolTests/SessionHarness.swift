import MailCore
import NIOCore
import SMTPProtocol

/// A stand-in for the directory: only `example.test` is local, and only
/// `alice` (plus `postmaster`, an alias for her) lives there. Like the real
/// one, it decides locality on the domain alone and looks the local part up
/// as an opaque, case-folded string.
struct FakeDirectory {
    var localDomains: Set<String> = ["example.test"]
    var accounts: Set<String> = ["alice@example.test"]

    func resolve(_ path: EnvelopePath) -> LocalResolution {
        switch path {
        case .null:
            return .notLocal
        case .localPostmaster:
            return .accounts(["alice@example.test"])
        case .mailbox(let mailbox):
            guard case .name(let domain) = mailbox.domain, localDomains.contains(domain) else { return .notLocal }
            let address = "\(mailbox.localPart.lowercased())@\(domain)"
            if accounts.contains(address) { return .accounts([address]) }
            if mailbox.localPart.lowercased() == "postmaster" { return .accounts(["alice@example.test"]) }
            return .unknownUser
        }
    }
}

/// One RCPT the session asked about, with the directory's answer and the policy's decision.
struct RecipientCheck {
    var path: EnvelopePath
    var resolution: LocalResolution
    var decision: RecipientDecision
}

/// Plays the connection driver: bytes in through a `LineFramer`, lines into an
/// `SMTPSession`, and every action carried out the way the server does it
/// (`.checkRecipient` answered by `FakeDirectory` + `RecipientPolicy.decide`,
/// `.deliver` answered with `deliveryOutcome`, `.startTLS` drops buffered
/// plaintext and completes the handshake with `tlsInfo`).
struct SessionHarness {
    static let hostname = "mx.example.test"
    static let clientAddress = "192.0.2.10"

    var session: SMTPSession
    var framer: LineFramer
    var directory = FakeDirectory()
    var deliveryOutcome: DeliveryOutcome = .stored
    /// The handshake result reported after `.startTLS`; nil leaves the handshake pending.
    var tlsInfo: TLSInfo? = TLSInfo(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256")

    private(set) var replies: [SMTPReply] = []
    private(set) var deliveries: [MailTransaction] = []
    /// What `.spill` handed over for the message being read, as the driver's file would hold it.
    private(set) var spilled = ByteBuffer()
    /// The whole text of each delivery: spilled chunks followed by the rest.
    private(set) var deliveredTexts: [ByteBuffer] = []
    /// The largest chunk `.spill` handed over.
    private(set) var largestSpill = 0
    private(set) var checks: [RecipientCheck] = []
    private(set) var lines: [InputLine] = []
    private(set) var closed = false
    private(set) var startTLSCount = 0
    var credentialsChecked: [(String, String)] = []
    private(set) var queueIDsIssued = 0
    /// The policy's answers to `.checkHello` and `.checkSender`, and what was asked.
    var helloVerdict: (String) -> PolicyVerdict = { _ in .accept }
    var senderVerdict: (MailTransaction) -> PolicyVerdict = { _ in .accept }
    /// Overrides the recipient decision (a tarpit's drop, a greylist).
    var recipientOverride: ((EnvelopePath) -> RecipientVerdict?)?
    private(set) var helloChecks: [String] = []
    private(set) var senderChecks: [EnvelopePath] = []
    /// Bytes that arrived after the connection was closed (never interpreted).
    private(set) var ignoredAfterClose = 0
    private var inbound = ByteBuffer()

    init(
        configure: (inout SMTPSessionConfiguration) -> Void = { _ in },
        clientAddress: String = SessionHarness.clientAddress,
        greet: Bool = true
    ) {
        var configuration = SMTPSessionConfiguration(hostname: Self.hostname)
        configure(&configuration)
        session = SMTPSession(configuration: configuration, clientAddress: clientAddress)
        // The server frames with the longer of the two limits, less the CR LF.
        framer = LineFramer(maximumLineLength: max(configuration.commandLineLimit, configuration.textLineLimit) - 2)
        if greet { perform(session.greet()) }
    }

    /// Feeds `text` (UTF-8) in one read.
    mutating func send(_ text: String) {
        send(bytes: Array(text.utf8))
    }

    /// Feeds raw bytes, `chunkSize` bytes per read (nil: all in one read).
    mutating func send(bytes: [UInt8], chunkSize: Int? = nil) {
        let size = max(1, chunkSize ?? bytes.count)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + size)
            read(bytes[start..<end])
            start = end
        }
    }

    /// Feeds `text` one byte per read.
    mutating func drip(_ text: String) {
        send(bytes: Array(text.utf8), chunkSize: 1)
    }

    private mutating func read(_ chunk: ArraySlice<UInt8>) {
        guard !closed else {
            ignoredAfterClose += chunk.count
            return
        }
        inbound.writeBytes(chunk)
        while !closed, let line = framer.next(from: &inbound) {
            lines.append(line)
            var issued = queueIDsIssued
            let action = session.receive(line, newQueueID: {
                issued += 1
                return QueueID(rawValue: "S.TEST\(issued)")
            })
            queueIDsIssued = issued
            perform(action)
        }
        inbound.discardReadBytes()
    }

    mutating func perform(_ first: SMTPSessionAction) {
        var next: SMTPSessionAction? = first
        while let action = next {
            next = nil
            if !session.isReadingData { spilled.clear() }  // what a refused message spilled is discarded
            switch action {
            case .none:
                break
            case .reply(let reply):
                replies.append(reply)
            case .replyAndClose(let reply):
                replies.append(reply)
                closed = true
                inbound.clear()
            case .startTLS(let reply):
                replies.append(reply)
                startTLSCount += 1
                // RFC 3207 § 4.2: plaintext pipelined after STARTTLS is dropped.
                inbound.clear()
                if let tlsInfo { session.tlsEstablished(tlsInfo) }
            case .checkRecipient(let path, _):
                let resolution = directory.resolve(path)
                let decision = RecipientPolicy.decide(
                    path, resolution: resolution, clientAddress: session.clientAddress,
                    permission: session.authenticatedUser.map { .authenticated($0) })
                checks.append(RecipientCheck(path: path, resolution: resolution, decision: decision))
                next = session.recipientChecked(recipientOverride?(path) ?? decision.verdict)
            case .checkHello(let name):
                helloChecks.append(name)
                next = session.helloChecked(helloVerdict(name))
            case .checkSender(let transaction):
                senderChecks.append(transaction.reversePath)
                next = session.senderChecked(senderVerdict(transaction))
            case .spill(let chunk):
                var chunk = chunk
                largestSpill = max(largestSpill, chunk.readableBytes)
                spilled.writeBuffer(&chunk)
            case .deliver(let transaction):
                deliveries.append(transaction)
                var whole = spilled
                whole.writeImmutableBuffer(transaction.message)
                deliveredTexts.append(whole)
                spilled.clear()
                next = session.deliveryFinished(deliveryOutcome)
            case .authenticate(let username, let password):
                credentialsChecked.append((username, password))
                let valid = username.lowercased() == "alice@example.test" && password == "s3cret"
                next = session.authenticationFinished(
                    valid ? .success(user: "alice@example.test", ownedAddresses: ["alice@example.test", "sales@example.test"]) : .failure)
            }
        }
    }

    // MARK: Conveniences for assertions

    var codes: [Int] { replies.map(\.code) }
    var lastReply: SMTPReply? { replies.last }

    /// Replies after the first `count` (e.g. after greeting and EHLO).
    func replies(after count: Int) -> [SMTPReply] { Array(replies.dropFirst(count)) }

    /// The message bytes of delivery `index` as a string.
    func message(_ index: Int = 0) -> String? {
        guard deliveries.indices.contains(index) else { return nil }
        return String(buffer: deliveredTexts[index])
    }

    /// Every recipient the session accepted, in delivered and pending transactions.
    var acceptedRecipients: [AcceptedRecipient] {
        deliveries.flatMap(\.recipients) + (session.currentTransaction?.recipients ?? [])
    }
}

/// Client input: each line terminated with CR LF.
func crlf(_ lines: String...) -> String {
    lines.map { $0 + "\r\n" }.joined()
}

extension SMTPReply {
    /// The code and enhanced code, e.g. "554 5.7.1", for compact assertions.
    var status: String { enhanced.map { "\(code) \($0)" } ?? "\(code)" }
}

/// `count` repetitions of `character`.
func repeated(_ character: Character, _ count: Int) -> String {
    String(repeating: String(character), count: count)
}
